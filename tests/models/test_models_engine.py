"""The real models through the engine facade (app.engine): every path the order can take.

Service calls are completed here by hand with the variables the real handlers return, so these
tests pin the contract between the models, the engine and the handlers."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.engine import ProcessEngine
from handlers.registry import load_all

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
START_DATA = {"code_ttl": "PT5M", "backoffice_sla": "PT4H"}
CANDIDATES = [{"client_id": "CL-1"}, {"client_id": "CL-2"}]


# A fresh engine (and so fresh spec objects) per test: see test_a_rollback_leaves_the_shared_model_intact.
@pytest.fixture
def engine():
    return ProcessEngine(set(load_all()), ROOT / "forms")


@pytest.fixture
def model(engine):
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}
    return engine.parse(files, "order_creation")


class Run:
    """Drives one instance the way the worker does, recording the handlers called."""

    def __init__(self, engine, model, variables=None):
        self.now = T0
        self.calls = []
        self.variables = variables or {}
        self.inst = engine.start(model, dict(START_DATA))
        self.inst.advance(self.now)

    def step(self, fail=None):
        """Complete pending service calls until a wait; `fail` = {handler: error code}."""
        fail = fail or {}
        for _ in range(50):
            calls = self.inst.pending_service_calls()
            if not calls:
                return self
            call = calls[0]
            self.calls.append((call.step, call.handler, call.compensates))
            if call.handler in fail:
                self.inst.fail_service(call.task_id, fail.pop(call.handler), "failed in test")
            else:
                self.inst.complete_service(call.task_id, self.variables.get(call.handler, {}))
            self.inst.advance(self.now)
        raise AssertionError("the process did not settle")

    def handlers(self):
        return [handler for _, handler, _ in self.calls]

    def user_task(self, step):
        tasks = [t for t in self.inst.ready_user_tasks() if t.step == step]
        assert tasks, f"{step} not ready; ready: {[t.step for t in self.inst.ready_user_tasks()]}"
        return tasks[0]

    def complete(self, step, data):
        self.inst.complete_user_task(self.user_task(step).task_id, data)
        self.inst.advance(self.now)
        return self.step()

    def wait(self, delta):
        self.now += delta
        self.inst.advance(self.now)
        return self.step()

    def message(self, name, payload=None):
        assert self.inst.send_message(name, payload or {})
        self.inst.advance(self.now)
        return self.step()


def matched(kind):
    return {"clients.find_by_document": {"client_match": kind, "candidates": CANDIDATES}}


UP_TO_SIGNING = ["escrow.reserve_account", "escrow.bind_to_developer", "orders.create_depositor_order",
                 "signing.send_code"]


def test_both_models_parse(model):
    assert model.process_id == "order_creation"
    assert "backoffice_resolution" in model.subprocess_specs
    assert len(model.spec_hash) == 64


@pytest.mark.parametrize("kind, client_steps", [
    ("none", ["clients.create_depositor"]),
    ("one", []),
])
def test_happy_path(engine, model, kind, client_steps):
    run = Run(engine, model, matched(kind)).step()
    assert run.handlers() == ["compliance.check_depositor", "clients.find_by_document", *client_steps,
                              *UP_TO_SIGNING]
    task = run.user_task("sign_order")
    assert (task.lane, task.form, run.inst.status()) == ("depositor", "sign_order.json", "AWAITING_SIGNATURE")
    assert run.inst.next_timer_at() == T0 + timedelta(minutes=5)
    run.complete("sign_order", {"code": "123456"})
    assert run.inst.is_completed() and run.inst.status() == "SIGNED"


@pytest.mark.parametrize("decision, extra", [
    ({"decision": "use_existing", "client_id": "CL-2"}, []),
    ({"decision": "merge", "client_id": "CL-1"}, ["clients.merge_records"]),
])
def test_back_office_resolves_duplicates(engine, model, decision, extra):
    run = Run(engine, model, matched("many")).step()
    task = run.user_task("resolve_duplicates")
    assert (task.lane, task.form, run.inst.status()) == ("backoffice", "backoffice_resolution.json",
                                                         "BACKOFFICE_REVIEW")
    assert task.data["candidates"] == CANDIDATES
    run.complete("resolve_duplicates", decision)
    assert run.handlers()[2:] == [*extra, *UP_TO_SIGNING]
    run.complete("sign_order", {"code": "123456"})
    assert run.inst.status() == "SIGNED"


def test_merge_passes_the_chosen_record_as_survivor(engine, model):
    run = Run(engine, model, matched("many")).step()
    run.inst.complete_user_task(run.user_task("resolve_duplicates").task_id,
                                {"decision": "merge", "client_id": "CL-2"})
    run.inst.advance(run.now)
    call = run.inst.pending_service_calls()[0]
    assert (call.handler, call.params) == ("clients.merge_records", {"survivor": "CL-2"})


def test_back_office_rejects(engine, model):
    run = Run(engine, model, matched("many")).step()
    run.complete("resolve_duplicates", {"decision": "reject", "reason": "different person"})
    assert run.inst.is_completed() and run.inst.status() == "REJECTED"
    assert run.handlers() == ["compliance.check_depositor", "clients.find_by_document"]


def test_back_office_sla_escalates_without_stopping_the_review(engine, model):
    run = Run(engine, model, matched("many")).step()
    assert run.inst.next_timer_at() == T0 + timedelta(hours=4)
    run.wait(timedelta(hours=4, seconds=1))
    assert run.handlers()[-1] == "backoffice.escalate"
    assert run.inst.status() == "BACKOFFICE_REVIEW"
    run.complete("resolve_duplicates", {"decision": "use_existing", "client_id": "CL-1"})
    assert run.handlers()[-1] == "signing.send_code"


def test_compliance_refusal_is_rejected_without_compensation(engine, model):
    run = Run(engine, model).step(fail={"compliance.check_depositor": "compliance_refused"})
    assert run.inst.is_completed() and run.inst.status() == "REJECTED"
    assert run.handlers() == ["compliance.check_depositor"]


def test_failure_compensates_completed_steps_newest_first(engine, model):
    run = Run(engine, model, matched("none")).step(fail={"orders.create_depositor_order": "step_failed"})
    assert run.inst.is_completed() and run.inst.status() == "ROLLED_BACK"
    compensations = [(h, c) for _, h, c in run.calls if c]
    assert compensations == [("escrow.unbind_from_developer", "bind_account"),
                             ("escrow.release_account", "reserve_account"),
                             ("clients.deactivate_depositor", "create_client")]
    states = run.inst.step_states()
    assert states["create_client"] == states["reserve_account"] == states["bind_account"] == "compensated"


def test_code_expires_and_a_new_one_is_sent_on_request(engine, model):
    run = Run(engine, model, matched("one")).step()
    run.wait(timedelta(minutes=5, seconds=1))
    assert run.handlers()[-1] == "signing.expire_code"
    assert not run.inst.ready_user_tasks() and run.inst.status() == "AWAITING_SIGNATURE"
    run.message("new_code_requested")
    assert run.handlers()[-1] == "signing.send_code"
    run.user_task("sign_order")
    run.message("new_code_requested")          # a resend while the task is open
    assert run.handlers().count("signing.send_code") == 3
    assert run.inst.next_timer_at() == run.now + timedelta(minutes=5)
    run.complete("sign_order", {"code": "654321"})
    assert run.inst.status() == "SIGNED"


def test_cancel_while_signing_compensates_everything(engine, model):
    run = Run(engine, model, matched("none")).step()
    run.message("cancel_order", {"reason": "buyer changed their mind"})
    assert run.inst.is_completed() and run.inst.status() == "CANCELLED"
    compensations = [h for _, h, c in run.calls if c]
    assert compensations == ["signing.revoke_code", "orders.cancel_depositor_order",
                             "escrow.unbind_from_developer", "escrow.release_account",
                             "clients.deactivate_depositor"]


def test_state_survives_a_json_round_trip_mid_saga(engine, model):
    import json
    run = Run(engine, model, matched("one")).step()
    state = json.loads(json.dumps(run.inst.dump()))
    inst = engine.load(model, state)
    assert inst.status() == "AWAITING_SIGNATURE"
    inst.complete_user_task(inst.ready_user_tasks()[0].task_id, {"code": "123456"})
    inst.advance(T0)
    assert inst.status() == "SIGNED"


def test_a_rollback_leaves_the_shared_model_intact(engine, model):
    Run(engine, model, matched("none")).step(fail={"orders.create_depositor_order": "step_failed"})
    run = Run(engine, model, matched("one")).step()
    run.complete("sign_order", {"code": "123456"})
    assert run.inst.is_completed() and run.inst.status() == "SIGNED"
