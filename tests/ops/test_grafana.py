"""deploy/grafana: the dashboard type-checks against Grafana's published schema (@grafana/schema
with tsc, pinned to the Grafana that docker-compose.yml runs), every panel's PromQL parses
(promtool) and selects only metrics and labels the application exports."""
import json

import promql_parser
import pytest
import yaml

from app.observability.metrics import exposed_names
from tests.ops.tools import ROOT, node_modules, promtool, run

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
CHECKS = ROOT / "var" / "grafana-checks"
PROMETHEUS_OWN = {"up": ("job", "instance")}  # series Prometheus itself writes for every target
SCRAPE_LABELS = ("job", "instance")
# Grafana's JSON stores enums by their values; Json<T> is the published type with each string
# enum replaced by the union of its values (otherwise unchanged: unknown keys still fail).
TYPE_CHECK = """import type {{ Dashboard }} from '@grafana/schema';
type Json<T> = T extends string ? `${{T}}` : T extends number | boolean | null | undefined ? T
  : T extends Array<infer U> ? Array<Json<U>> : T extends object ? {{ [K in keyof T]: Json<T[K]> }} : T;
const dashboard: Json<Dashboard> = {json};
export default dashboard;
"""


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panels(panel))  # a collapsed row keeps its panels inside
    return found


def queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL) with Grafana's interval variable as Prometheus would get it."""
    return [(p["title"], t["expr"].replace("$__rate_interval", "1m"))
            for p in panels(dashboard) for t in p.get("targets", []) if "expr" in t]


def selectors(node) -> list:
    """Every vector selector in a parsed PromQL expression, with the labels it groups by."""
    if isinstance(node, promql_parser.VectorSelector):
        return [node]
    found = []
    for attr in ("expr", "lhs", "rhs", "param", "vector_selector", "args"):
        child = getattr(node, attr, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and not isinstance(item, (str, int, float)):
                found += selectors(item)
    return found


def grouping_labels(node) -> set[str]:
    labels = set()
    modifier = getattr(node, "modifier", None)
    labels.update(getattr(modifier, "labels", None) or [])
    for attr in ("expr", "lhs", "rhs", "args"):
        child = getattr(node, attr, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and not isinstance(item, (str, int, float)):
                labels |= grouping_labels(item)
    return labels


@pytest.fixture(scope="module")
def dashboards() -> list[dict]:
    assert DASHBOARDS, "no dashboard in deploy/grafana/dashboards"
    return [json.loads(path.read_text()) for path in DASHBOARDS]


@pytest.fixture(scope="module")
def tsc_errors(dashboards) -> dict[str, str]:
    """tsc's errors per checked file (one run: it takes seconds): the dashboards as they are,
    and two broken copies that must fail."""
    node_modules()
    CHECKS.mkdir(parents=True, exist_ok=True)
    misspelt = {**dashboards[0], "refersh": "30s"}
    wrong_type = json.loads(json.dumps(dashboards[0]))
    wrong_type["panels"][1]["gridPos"]["w"] = "wide"
    cases = {**{path.stem: d for path, d in zip(DASHBOARDS, dashboards)},
             "broken-misspelt": misspelt, "broken-wrong-type": wrong_type}
    sources = []
    for name, dashboard in cases.items():
        sources.append(CHECKS / f"{name}.ts")
        sources[-1].write_text(TYPE_CHECK.format(json=json.dumps(dashboard, indent=1)))
    checked = run(str(ROOT / "node_modules" / ".bin" / "tsc"), "--noEmit", "--strict", "--target", "es2022",
                  "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck",
                  *map(str, sources))
    assert checked.returncode in (0, 2), checked.stdout + checked.stderr  # 2: errors were reported
    return {name: "\n".join(line for line in checked.stdout.splitlines() if f"{name}.ts(" in line)
            for name in cases}


def test_dashboards_type_check_against_grafana_schema(tsc_errors):
    for path in DASHBOARDS:
        assert tsc_errors[path.stem] == "", tsc_errors[path.stem]


def test_the_type_check_catches_a_misspelt_key_and_a_wrong_type(tsc_errors):
    assert "refersh" in tsc_errors["broken-misspelt"]
    assert "not assignable to type 'number'" in tsc_errors["broken-wrong-type"]


def test_schema_is_pinned_to_the_grafana_that_compose_runs():
    package = json.loads((ROOT / "package.json").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    image = compose["services"]["grafana"]["image"]
    assert image == f"grafana/grafana:{package['devDependencies']['@grafana/schema']}", image


def test_every_panel_query_parses(dashboards):
    exprs = [q for d in dashboards for q in queries(d)]
    assert len(exprs) >= 15
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel_{n}", "expr": expr} for n, (_, expr) in enumerate(exprs)]}]}
    CHECKS.mkdir(parents=True, exist_ok=True)
    path = CHECKS / "panel-queries.rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    checked = run(promtool(), "check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in checked.stdout


def test_panels_select_only_exported_metrics_and_labels(dashboards):
    exported = {**exposed_names(), **PROMETHEUS_OWN}
    seen = set()
    for title, expr in [q for d in dashboards for q in queries(d)]:
        parsed = promql_parser.parse(expr)
        found = selectors(parsed)
        assert found, (title, expr)
        for selector in found:
            assert selector.name in exported, f"{title}: {selector.name} is not exported"
            known = set(exported[selector.name]) | set(SCRAPE_LABELS)
            matched = {m.name for m in selector.matchers.matchers}
            assert matched <= known, f"{title}: {selector.name} has no label {matched - known}"
            seen.add(selector.name)
        labels = set(exported[found[0].name]) | set(SCRAPE_LABELS)
        assert grouping_labels(parsed) <= labels, f"{title}: groups by a label the metric lacks"
    contract_families = {"escrow_orders", "escrow_orders_created_total", "escrow_saga_step_duration_seconds_bucket",
                         "escrow_saga_step_retries_total", "escrow_compensations_total", "escrow_incidents_open",
                         "escrow_backoffice_tasks_open", "escrow_outbox_backlog", "escrow_kafka_consumer_lag",
                         "escrow_dead_letters_total", "escrow_http_request_duration_seconds_bucket"}
    assert contract_families <= seen, f"no panel shows {contract_families - seen}"


def test_the_metric_check_catches_an_unknown_metric():
    parsed = promql_parser.parse("sum by (step) (rate(escrow_saga_steps_total[5m]))")
    assert [s.name for s in selectors(parsed)] == ["escrow_saga_steps_total"]
    assert "escrow_saga_steps_total" not in exposed_names()


def test_provisioning_points_at_the_dashboards_and_the_datasource(dashboards):
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uids = {d["uid"] for d in datasources["datasources"]}
    used = {p["datasource"]["uid"] for d in dashboards for p in panels(d) if "datasource" in p}
    assert used and used <= uids
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "escrow.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts
