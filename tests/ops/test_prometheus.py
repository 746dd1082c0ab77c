"""deploy/prometheus, checked by promtool (Debian's prometheus). The application's exposition
is checked live: tests/observability/test_prometheus_live.py."""
from tests.ops.tools import ROOT, promtool, run

PROMETHEUS = ROOT / "deploy" / "prometheus"


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
