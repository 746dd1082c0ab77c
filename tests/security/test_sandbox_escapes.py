"""The escape corpus against the sandbox itself (fast): every escape is refused before it
runs or fails while running, and no canary fires (no file, import, frame, process, socket)."""
from pathlib import Path

import pytest

from app.engine import sandbox
from app.engine.script_env import check_source
from tests.security.canary import audited
from tests.security.escapes import NAMED, generated, named_with_expressions

LIMITS = sandbox.Limits()
COMPILE_REFUSALS = (SyntaxError, sandbox.UnsafeExpression)
DATA = {"client_match": "none", "code_ttl": "PT300S", "order_id": "ord_1",
        "depositor": {"last_name": "Ivanova", "passport": {"series": "4510", "number": "123456"}}}


def attempt(source: str, mode: str) -> str:
    """'deploy' (refused by check_source, as validation does) or 'run' (failed while running);
    'ESCAPED' if it ran to the end."""
    try:
        check_source(source, mode)
    except COMPILE_REFUSALS:
        return "deploy"
    data = {k: v for k, v in DATA.items()}
    try:
        if mode == "exec":
            sandbox.execute(source, data, LIMITS)
        else:
            sandbox.evaluate(source, data, LIMITS)
    except COMPILE_REFUSALS:
        raise AssertionError("check_source passed what compile refuses")
    except Exception:   # noqa: BLE001 - any failure stops the escape; what matters is it failed
        return "run"
    return "ESCAPED"


def run_case(source: str, mode: str, canary: Path) -> str:
    source = source.replace("CANARY", str(canary))
    with audited() as events:
        outcome = attempt(source, mode)
    assert outcome != "ESCAPED", source
    assert events == [], f"audit events {events} while running {source!r}"
    assert not canary.exists()
    return outcome


@pytest.mark.parametrize("escape", NAMED, ids=lambda e: e.name)
def test_named_escape_as_script(escape, tmp_path):
    run_case(escape.script, "exec", tmp_path / "canary")


@pytest.mark.parametrize("escape", named_with_expressions(), ids=lambda e: e.name)
def test_named_escape_as_expression(escape, tmp_path):
    run_case(escape.expression, "eval", tmp_path / "canary")


def test_generated_attribute_reaches(tmp_path):
    cases = generated()
    outcomes = [run_case(case.expression, "eval", tmp_path / "canary") for case in cases]
    print(f"\nsandbox unit corpus: {len(NAMED)} named escapes as scripts, "
          f"{len(named_with_expressions())} as expressions, {len(cases)} generated reaches "
          f"({outcomes.count('deploy')} refused at deploy, {outcomes.count('run')} at run time)")
    assert len(cases) > 2000


RUN_TIME_BOMBS = [e for e in NAMED if e.name.startswith(("huge_", "endless_", "alias_bomb_",
                                                          "doubling_", "deep_", "exponential_"))]


@pytest.mark.parametrize("escape", RUN_TIME_BOMBS, ids=lambda e: e.name)
def test_resource_bombs_fail_with_a_clear_limit(escape):
    """Bombs that compile fail on a limit (or Python's recursion limit), not on anything else."""
    try:
        check_source(escape.script, "exec")
    except COMPILE_REFUSALS:
        return
    with pytest.raises((sandbox.LimitExceeded, sandbox.Refused, RecursionError)) as caught:
        sandbox.execute(escape.script, {}, LIMITS)
    message = str(caught.value)
    assert caught.type is RecursionError or any(
        word in message for word in ("budget", "limit", "too large", "not available", "round()"))
