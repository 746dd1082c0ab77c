"""What analysts write still works in the sandbox, and its limits behave as documented."""
from datetime import datetime, timedelta, timezone

import pytest

from app.config import load_settings
from app.engine import ProcessEngine, ScriptLimits, sandbox
from app.engine.script_env import check_source

LIMITS = sandbox.Limits()
DATA = {
    "client_match": "none", "decision": "merge", "amount": 1_250_000_000, "code_ttl": "PT300S",
    "depositor": {"last_name": "Ivanova", "first_name": "Anna",
                  "passport": {"series": "4510", "number": "123456"}},
    "candidates": [{"client_id": "c1", "score": 3}, {"client_id": "c2", "score": 7}],
    "tags": ["vip", "new"], "ratio": 0.25, "flag": True, "nothing": None,
    "signed_at": datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc),
    "ttl": timedelta(minutes=5),
}

EXPRESSIONS = [
    ('client_match == "none"', True),
    ('decision in ("use_existing", "merge")', True),
    ('decision not in ["reject"] and not flag is False', True),
    ("amount // 100 >= 10_000_000 and amount % 100 == 0", True),
    ("amount * 2 - 1 + 3 ** 2", 2_500_000_008),
    ("round(ratio * 100, 1) == 25.0 and abs(-ratio) == ratio", True),
    ('depositor["passport"]["series"] + " " + depositor["passport"]["number"]', "4510 123456"),
    ('depositor.get("middle_name", "-")', "-"),
    ("[c['client_id'] for c in candidates if c['score'] > 5]", ["c2"]),
    ("{c['client_id']: c['score'] for c in candidates}", {"c1": 3, "c2": 7}),
    ("sorted(candidates, key=lambda c: -c['score'])[0]['client_id']", "c2"),
    ("max(c['score'] for c in candidates) + min([4, 2]) + sum([1, 2])", 12),
    ("len(tags) == 2 and any(t == 'vip' for t in tags) and all(tags)", True),
    ("', '.join(sorted(tags)).upper()", "NEW, VIP"),
    ("depositor['last_name'].lower().startswith('iv') and 'nova' in depositor['last_name']", True),
    ("f'PT{amount // 10 ** 9}M'", "PT1M"),
    ("f'{ratio:.2%} of {amount:,}'", "25.00% of 1,250,000,000"),
    ("'ab-cd'.split('-')[1].replace('c', 'x').strip()", "xd"),
    ("tags[::-1] + tags[:1]", ["new", "vip", "vip"]),
    ("str(amount)[:4] + str(len(tags))", "12502"),
    ("int('42') + float('0.5') + int(bool(nothing is None))", 43.5),
    ("isinstance(amount, int) and isinstance(tags, (list, tuple)) and not isinstance(ratio, str)", True),
    ("list(enumerate(tags))[1] == (1, 'new') and dict(zip(tags, [1, 2]))['new'] == 2", True),
    ("set(tags) | {'x'} == {'vip', 'new', 'x'}", True),
    ("list(range(3)) + list(reversed([1, 2]))", [0, 1, 2, 2, 1]),
    ("(signed_at + ttl).isoformat()", "2026-11-20T10:35:00+00:00"),
    ("signed_at.year == 2026 and (signed_at - signed_at).total_seconds() == 0", True),
    ("ttl.seconds // 60", 5),
    ("code_ttl if client_match == 'none' else 'PT1M'", "PT300S"),
    ("(n := len(tags)) * n", 4),
    ("nothing is None and flag", True),
]


@pytest.mark.parametrize("source,expected", EXPRESSIONS, ids=[e[0][:40] for e in EXPRESSIONS])
def test_analysts_expressions_evaluate(source, expected):
    check_source(source, "eval")
    assert sandbox.evaluate(source, dict(DATA), LIMITS) == expected


def test_a_script_changes_the_task_data_in_place():
    data = {"candidates": [{"client_id": "c1", "score": 3}], "order": {"amount": 10}, "old": 1}
    script = """
best = None
for c in candidates:
    if best is None or c['score'] > best['score']:
        best = c
order['amount'] = order['amount'] + 5
order['label'] = f"client {best['client_id']}"
scores = []
i = 0
while i < 3:
    scores.append(i * i)
    i += 1
a, (b, c) = 1, (2, 3)
def double(x):
    return x * 2
doubled = [double(s) for s in scores]
try:
    missing = {}['nope']
except:
    missing = 'default'
del old
"""
    check_source(script, "exec")
    sandbox.execute(script, data, LIMITS)
    assert data["order"] == {"amount": 15, "label": "client c1"}
    assert data["best"] == {"client_id": "c1", "score": 3}
    assert data["scores"] == [0, 1, 4] and data["doubled"] == [0, 2, 8]
    assert (data["a"], data["b"], data["c"], data["missing"]) == (1, 2, 3, "default")
    assert "old" not in data and "double" not in data     # deleted; functions are not data


def test_task_data_cannot_replace_a_guard():
    data = {"_getattr_": "not a function", "name": "x"}
    assert sandbox.evaluate("name.upper()", data, LIMITS) == "X"
    sandbox.execute("y = name.upper()", data, LIMITS)
    assert data == {"_getattr_": "not a function", "name": "x", "y": "X"}


def test_a_script_that_fails_leaves_the_task_data_alone():
    data = {"n": 1}
    with pytest.raises(ZeroDivisionError):
        sandbox.execute("n = 2\nm = 1 / 0", data, LIMITS)
    assert data == {"n": 1}


def test_values_that_are_not_data_cannot_be_stored_or_returned():
    with pytest.raises(sandbox.Refused, match="'g' holds a generator"):
        sandbox.execute("g = (i for i in [1])", {}, LIMITS)
    with pytest.raises(sandbox.Refused, match="dict keys must be strings"):
        sandbox.execute("d = {1: 'x'}", {}, LIMITS)
    with pytest.raises(sandbox.Refused, match="not data"):
        sandbox.evaluate("{'a': 1}.keys()", {}, LIMITS)


def test_a_caught_limit_still_fails_the_evaluation():
    script = "try:\n    while True:\n        pass\nexcept:\n    pass\nok = 1"
    with pytest.raises(sandbox.LimitExceeded, match="operation budget exceeded"):
        sandbox.execute(script, {}, LIMITS)
    refused = "try:\n    x = 'a'.format()\nexcept:\n    pass\nok = 1"
    with pytest.raises(sandbox.Refused, match="'format' of str"):
        sandbox.execute(refused, {}, LIMITS)


@pytest.mark.parametrize("limits,source,message", [
    (ScriptLimits(max_steps=10), "[i for i in range(11)]", "operation budget exceeded \\(10 steps"),
    (ScriptLimits(max_value=50), "'x' * 51", "value too large \\(51 units; the limit is 50\\)"),
    (ScriptLimits(max_alloc=100), "['x' * 60, 'y' * 60]", "memory budget exceeded \\(100 units"),
    (ScriptLimits(timeout_s=0.0), "[i for i in range(5)]", "time limit exceeded"),
])
def test_each_limit_is_a_setting(limits, source, message):
    assert sandbox.evaluate(source, {}, sandbox.Limits()) is not None
    with pytest.raises(sandbox.LimitExceeded, match=message):
        sandbox.evaluate(source, {}, limits)


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ESCROW_SCRIPT_MAX_STEPS", "7")
    monkeypatch.setenv("ESCROW_SCRIPT_TIMEOUT_S", "0.5")
    settings = load_settings()
    assert (settings.script_max_steps, settings.script_timeout_s) == (7, 0.5)
    assert (settings.script_max_value, settings.script_max_alloc) == (100_000, 1_000_000)


def test_deploy_check_refuses_with_syntax_error_or_unsafe_expression():
    with pytest.raises(SyntaxError):
        check_source("a ==", "eval")
    for source in ("__import__('os')", "x.__class__", "import os", "(i for i in []).gi_frame"):
        with pytest.raises(sandbox.UnsafeExpression):
            check_source(source, "exec")


NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def script_model(script: str) -> bytes:
    return (f'<bpmn:definitions {NS} id="d" targetNamespace="x"><bpmn:process id="p" isExecutable="true">'
            '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
            f'<bpmn:scriptTask id="work"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/><bpmn:endEvent id="end"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def test_the_engine_names_the_element_and_uses_its_limits():
    engine = ProcessEngine({"op"}, script_limits=ScriptLimits(max_steps=50))
    inst = engine.start(engine.parse({"m.bpmn": script_model("x = 0\nwhile True: x = x + 1")}, "p"))
    with pytest.raises(Exception) as caught:
        inst.advance()
    assert str(caught.value) == ("script task 'work': script failed: operation budget exceeded "
                                 "(50 steps: loop iterations, items and function calls)")
    fine = engine.start(engine.parse({"m.bpmn": script_model("total = sum(range(40))")}, "p"))
    fine.advance()
    assert fine.is_completed() and fine.data["total"] == 780


def test_each_thread_spends_its_own_budget():
    """Worker threads evaluate at the same time: one endless loop does not fail the others."""
    from concurrent.futures import ThreadPoolExecutor

    def endless():
        with pytest.raises(sandbox.LimitExceeded):
            sandbox.execute("while True:\n    pass", {}, LIMITS)

    def ordinary():
        return [sandbox.evaluate("sum(x for x in range(100))", {}, LIMITS) for _ in range(200)]

    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(endless) for _ in range(2)]
        sums = [pool.submit(ordinary) for _ in range(2)]
        assert all(f.result() == [4950] * 200 for f in sums)
        assert all(f.result() is None for f in loops)
