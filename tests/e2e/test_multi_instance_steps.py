"""A service task that runs as a parallel multi-instance activity: each instance keeps its own
step entry, so its attempts, its retry time and its idempotency key are its own while the other
instances run (a retry after another instance ran sends the bank the key of its first attempt)."""
from app.config import ROOT
from tests.e2e.harness import headers, order_body

BPMN = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}
MAIN = "order_creation.bpmn"
HANDLER = "compliance.check_depositor"
END_OF_TASK = '''          <spiffworkflow:property name="retry.base_s" value="1"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:serviceTask>'''


def with_parallel_compliance_checks(instances: int) -> str:
    """bpmn/order_creation.bpmn with its compliance check run `instances` times at once."""
    task = BPMN[MAIN][BPMN[MAIN].index('<bpmn:serviceTask id="compliance_check"'):]
    assert task.index(END_OF_TASK) < task.index("<bpmn:boundaryEvent")  # the check's own end
    loop = (f'<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{instances}'
            f'</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>\n    </bpmn:serviceTask>')
    return BPMN[MAIN].replace(END_OF_TASK, END_OF_TASK.replace("</bpmn:serviceTask>", loop), 1)


def deploy(api, main_xml: str) -> None:
    response = api.client.post("/api/v1/models", headers=headers("analyst"),
                               json={"name": "order_creation", "files": {**BPMN, MAIN: main_xml}})
    assert response.status_code == 201, response.get_json()


def test_each_instance_has_its_own_step_entry_and_idempotency_key(api, system, bank):
    calls = []
    handler = system.process_manager.handlers[HANDLER]

    def recorded(call):
        calls.append((call.attempt, call.idempotency_key))
        return handler(call)
    system.process_manager.handlers[HANDLER] = recorded
    deploy(api, with_parallel_compliance_checks(2))
    try:
        bank.set_fault(HANDLER, 1, after_effect=True)  # the first call's answer is lost
        order_id = api.create(body=order_body(passport=("4602", "900001")))
        order = api.wait_status(order_id, "AWAITING_SIGNATURE", timeout=30)
    finally:
        system.process_manager.handlers[HANDLER] = handler
        deploy(api, BPMN[MAIN])

    checks = sorted((s for s in order["steps"] if s["name"] == "compliance_check"), key=lambda s: s["instance"])
    assert [(s["instance"], s["state"]) for s in checks] == [("0", "completed"), ("1", "completed")]
    assert sorted(s["attempts"] for s in checks) == [1, 2]   # the lost answer's instance tried again
    keys = [key for _, key in calls]
    assert len(calls) == 3 and len(set(keys)) == 2, calls    # two instances, two keys
    first_key = calls[0][1]
    retried = [key for attempt, key in calls if attempt == 2]
    assert retried == [first_key]   # the retry came after the other instance ran, with its own key
    assert first_key.endswith("/compliance_check[0]/1") or first_key.endswith("/compliance_check[1]/1")
