"""Compensation scopes: nested sub-process, activityRef, call activity in another file."""

from .helpers import NOW, complete, drain, only_call


def test_nested_subprocess_compensates_inner_activities_newest_first(engine, model):
    inst = engine.start(model("nested"), {})
    inst.advance(NOW)
    for step in ("s1", "a1", "a2"):
        inst, _ = complete(engine, inst, {f"{step}_done": True}, step=step)
    assert inst.step_states()["sub"] == "completed"
    inst.fail_service(only_call(inst).task_id, "step_failed", "s3 failed")
    inst.advance(NOW)
    # ua2 is a script handler: it ran at once; then ua1 (service), then u1
    assert inst.step_states()["a2"] == "compensated"
    assert inst.step_states()["sub"] == "compensating"
    inst, calls = drain(engine, inst)
    assert [(c.step, c.compensates) for c in calls] == [("ua1", "a1"), ("u1", "s1")]
    states = inst.step_states()
    assert {states[s] for s in ("a1", "a2", "sub", "s1")} == {"compensated"}
    assert states["s3"] == "cancelled"
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"


def test_subprocess_that_never_started_is_skipped(engine, model):
    inst = engine.start(model("nested"), {})
    inst.advance(NOW)
    inst.fail_service(only_call(inst).task_id, "step_failed", "s1 failed")
    inst.advance(NOW)
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"
    assert inst.step_states()["s1"] == "cancelled"
    assert "sub" not in inst.step_states()


def test_activity_ref_compensates_only_that_activity(engine, model):
    inst = engine.start(model("activity_ref"), {})
    inst.advance(NOW)
    inst, _ = complete(engine, inst, step="s1")
    inst, _ = complete(engine, inst, step="s2")
    inst.fail_service(only_call(inst).task_id, "compliance_refused", "refused")
    inst.advance(NOW)
    inst, call = complete(engine, inst)
    assert (call.step, call.compensates) == ("u1", "s1")
    assert inst.pending_service_calls() == []
    states = inst.step_states()
    assert states["s1"] == "compensated" and states["s2"] == "completed"
    assert states["s3"] == "cancelled" and states["s3_refused"] == "completed"
    [review] = inst.ready_user_tasks()
    assert review.step == "review" and inst.status() == "UNDER_REVIEW"
    assert review.data["bpmn_error"]["code"] == "compliance_refused"
    inst.complete_user_task(review.task_id, {"note": "ok"})
    inst.advance(NOW)
    assert inst.is_completed() and inst.status() == "REJECTED"


def test_call_activity_across_files_and_compensation_through_it(engine, model):
    m = model("call_main", "call_main.bpmn", "call_child.bpmn")
    assert set(m.spec_json["subprocess_specs"]) == {"child", "on_error"}
    inst = engine.start(m, {"order_id": "o1"})
    inst.advance(NOW)
    inst, call = complete(engine, inst, {"account": "A1"}, step="open")
    assert call.label == "Open account"
    call = only_call(inst)
    assert call.step == "after"
    inst.fail_service(call.task_id, "step_failed", "after failed")
    inst.advance(NOW)
    inst, calls = drain(engine, inst)
    assert [(c.step, c.compensates) for c in calls] == [("close", "open")]
    assert inst.step_states()["call"] == "compensated"
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"


def test_call_activity_happy_path_passes_data(engine, model):
    m = model("call_main", "call_main.bpmn", "call_child.bpmn")
    inst = engine.start(m, {"order_id": "o1"})
    inst.advance(NOW)
    inst, _ = complete(engine, inst, {"account": "A1"}, step="open")
    inst, _ = complete(engine, inst, step="after")
    assert inst.is_completed() and inst.status() == "ACTIVE"
    assert inst.data["account"] == "A1" and inst.data["order_id"] == "o1"
