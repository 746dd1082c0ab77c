"""deploy/prometheus and the metrics contract, checked by promtool (Debian's prometheus)."""
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from tests.ops.tools import ROOT, promtool, run

PROMETHEUS = ROOT / "deploy" / "prometheus"
CONTRACT = {  # issue 18: name -> (type, labels)
    "escrow_orders": ("gauge", {"status"}),
    "escrow_orders_created": ("counter", {"company"}),
    "escrow_saga_step_duration_seconds": ("histogram", {"step", "outcome"}),
    "escrow_saga_step_retries": ("counter", {"step"}),
    "escrow_compensations": ("counter", {"step", "outcome"}),
    "escrow_incidents_open": ("gauge", set()),
    "escrow_backoffice_tasks_open": ("gauge", {"overdue"}),
    "escrow_outbox_backlog": ("gauge", set()),
    "escrow_kafka_consumer_lag": ("gauge", {"topic", "partition"}),
    "escrow_dead_letters": ("counter", set()),
    "escrow_http_request_duration_seconds": ("histogram", {"route", "method", "status"}),
}
# One sample in every metric, so the exposition shows each with its labels.
SAMPLE_EVERY_METRIC = """
from prometheus_client import REGISTRY, generate_latest
from app.observability import metrics
for metric in metrics.ALL:
    labels = {name: "x" for name in metric._labelnames}
    child = metric.labels(**labels) if labels else metric
    (child.observe if hasattr(child, "observe") else child.inc if hasattr(child, "inc") else child.set)(1)
print(generate_latest(REGISTRY).decode())
"""


def exposition() -> str:
    done = subprocess.run([sys.executable, "-c", SAMPLE_EVERY_METRIC], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout


def test_the_exposition_has_the_contract_metrics_and_passes_promtool_lint():
    text = exposition()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, (kind, labels) in CONTRACT.items():
        assert name in families, name
        assert families[name].type == kind, name
        sample_labels = {k for s in families[name].samples for k in s.labels} - {"le"}
        assert sample_labels == labels, name
    assert "escrow_orders_created_total" in text and "_created{" not in text
    checked = run(promtool(), "check", "metrics", stdin=text)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr


def test_promtool_finds_a_lint_problem_when_there_is_one():
    bad = "# HELP escrow_things Things.\n# TYPE escrow_things counter\nescrow_things 1\n"
    assert run(promtool(), "check", "metrics", stdin=bad).returncode != 0


def test_scrape_config_is_valid():
    checked = run(promtool(), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout


def test_alert_rules_are_valid_and_their_unit_tests_pass():
    rules = sorted((PROMETHEUS / "rules").glob("*.yml"))
    checked = run(promtool(), "check", "rules", *map(str, rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run(promtool(), "test", "rules", *map(str, sorted((PROMETHEUS / "tests").glob("*.yml"))))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_firing_and_a_silent_unit_test():
    import yaml
    alerts = {r["alert"] for path in (PROMETHEUS / "rules").glob("*.yml")
              for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"] if "alert" in r}
    fired, silent = set(), set()
    for path in (PROMETHEUS / "tests").glob("*.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert alerts and fired == alerts and silent == alerts, (alerts - fired, alerts - silent)
