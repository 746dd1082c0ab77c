"""Multi-instance activities and sub-processes (BPMN 2.0.2 10.3), in the worker's pattern."""
import json

from SpiffWorkflow.util.task import TaskState

from .bpmn_kit import (
    chain, definitions, end, mi, process, script, service, start, subprocess, user,
)
from .helpers import NOW, complete_user, roundtrip


def started(engine, model, data=None):
    inst = engine.start(model, dict(data or {}))
    inst.advance(NOW)
    return roundtrip(engine, inst)


def done(engine, inst, call, variables=None):
    inst.complete_service(call.task_id, variables or {})
    inst.advance(NOW)
    return roundtrip(engine, inst)


def mi_service(loop, output=""):
    return process("p", start(), service("charge", params={"who": "buyer"}, inner=loop + output),
                   service("after"), end(), chain("start", "charge", "after", "end"))


def test_parallel_instances_over_a_collection(engine, build, style):
    model = build(definitions(mi_service(mi("buyers", "buyer"))))
    inst = started(engine, model, {"buyers": ["ann", "bob", "cid"]})
    calls = inst.pending_service_calls()
    assert [c.params["who"] for c in calls] == ["ann", "bob", "cid"]     # all at once
    assert [c.instance for c in calls] == ["0", "1", "2"]                 # told apart for the worker
    for who in ("bob", "cid", "ann"):                                     # any completion order
        inst = done(engine, inst, next(c for c in inst.pending_service_calls() if c.params["who"] == who),
                    {f"paid_{who}": True})
    assert [c.step for c in inst.pending_service_calls()] == ["after"]
    inst = done(engine, inst, inst.pending_service_calls()[0])
    assert inst.is_completed()
    assert {inst.data[f"paid_{w}"] for w in ("ann", "bob", "cid")} == {True}
    assert "buyer" not in inst.data          # the input element is local to its instance


def test_sequential_instances_one_at_a_time_in_order(engine, build):
    model = build(definitions(mi_service(mi("buyers", "buyer", sequential=True))))
    inst = started(engine, model, {"buyers": ["ann", "bob", "cid"]})
    seen = []
    while inst.pending_service_calls()[0].step == "charge":
        [call] = inst.pending_service_calls()
        seen.append(call.params["who"])
        inst = done(engine, inst, call)
    assert seen == ["ann", "bob", "cid"]


def test_cardinality_and_output_collection(engine, build):
    loop = ('<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n * 2</bpmn:loopCardinality>'
            '<bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>'
            '<bpmn:outputDataItem id="result" name="result"/></bpmn:multiInstanceLoopCharacteristics>')
    model = build(definitions(process(
        "p", start(), script("square", "result = 7", loop=loop),
        end(), chain("start", "square", "end"))))
    inst = started(engine, model, {"n": 2})
    assert inst.is_completed() and inst.data["results"] == [7, 7, 7, 7]


def test_completion_condition_cancels_the_remaining_instances(engine, build, style):
    model = build(definitions(mi_service(mi("buyers", "buyer", condition="numberOfCompletedInstances >= 2"))))
    inst = started(engine, model, {"buyers": ["ann", "bob", "cid"]})
    calls = inst.pending_service_calls()
    inst = done(engine, inst, calls[2])
    inst = done(engine, inst, calls[0])
    assert [c.step for c in inst.pending_service_calls()] == ["after"]
    states = {t.internal_data.get("key_or_index"): t.state for t in inst.wf.get_tasks()
              if t.task_spec.name == "charge [child]"}
    assert states[1] == TaskState.CANCELLED     # bob's instance


def test_camunda_names_in_the_completion_condition(engine, build):
    model = build(definitions(mi_service(mi("buyers", "buyer", condition="nrOfCompletedInstances == nrOfInstances - 1",
                                             sequential=True))))
    inst = started(engine, model, {"buyers": ["a", "b", "c"]})
    inst = done(engine, inst, inst.pending_service_calls()[0])
    inst = done(engine, inst, inst.pending_service_calls()[0])
    assert [c.step for c in inst.pending_service_calls()] == ["after"]


def test_empty_collection_completes_at_once(engine, build):
    model = build(definitions(mi_service(mi("buyers", "buyer"))))
    inst = started(engine, model, {"buyers": []})
    assert [c.step for c in inst.pending_service_calls()] == ["after"]


def test_multi_instance_subprocess_with_user_tasks(engine, build, style):
    model = build(definitions(process(
        "p", start(),
        subprocess("per_flat", start("s0"), user("inspect"), service("book", params={"flat": "flat"}), end("s9"),
                   chain("s0", "inspect", "book", "s9"), loop=mi("flats", "flat")),
        end(), chain("start", "per_flat", "end"))))
    inst = started(engine, model, {"flats": [11, 12]})
    tasks = inst.ready_user_tasks()
    assert sorted(t.data["flat"] for t in tasks) == [11, 12]
    inst.complete_user_task(tasks[1].task_id, {"ok": True})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    [call] = inst.pending_service_calls()
    assert call.params == {"flat": tasks[1].data["flat"]}
    assert call.instance == str([11, 12].index(tasks[1].data["flat"]))
    inst = done(engine, inst, call)
    inst = complete_user(engine, inst, "inspect")
    inst = done(engine, inst, inst.pending_service_calls()[0])
    assert inst.is_completed()


def test_state_round_trips_through_json_in_a_fresh_engine(engine, build):
    """A worker restarting mid-way: another engine restores the spec from JSON and goes on."""
    from app.engine import ProcessEngine
    from .conftest import HANDLERS
    model = build(definitions(mi_service(mi("buyers", "buyer", sequential=True))))
    inst = started(engine, model, {"buyers": ["ann", "bob"]})
    other = ProcessEngine(HANDLERS)
    again = other.load(other.model_from_spec(json.loads(json.dumps(model.spec_json))),
                       json.loads(json.dumps(inst.dump())))
    [call] = again.pending_service_calls()
    again.complete_service(call.task_id, {})
    again.advance(NOW)
    assert [c.params["who"] for c in again.pending_service_calls()] == ["bob"]
