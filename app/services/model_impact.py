"""What deploying files as a new version of a model would mean beyond the model itself.

Running orders never move: each keeps the spec it started with (stored by hash), so a new
version cannot break how they resume. What a deployment can break, and what is checked:
- errors (the deployment is refused): the new version drops something the application itself
  addresses in every order of that model (APP_CONTRACT): for the order model, the user task the
  signature completes and the messages a cancel and a new-code request send. New orders on such a
  version could never be signed or cancelled.
- warnings: orders running on older versions wait at elements (a user task, a timer, a message,
  a step being retried) that the new version removes or turns into another kind of element.
  Those orders keep their version and finish on it; the analyst sees how many and where, because
  a fix meant for them (a removed step, a renamed task) will not reach them.
"""
from app.services.errors import require_role
from app.domain import statuses
from app.engine.bpmn_files import load
from app.engine.bpmn_xml import NS
from app.engine.problems import ERROR, WARNING, Problem, Report
from app.process_models import ORDER_PROCESS
from app.domain.caller import Caller, MODELLERS
from app.store import process_state

# what the application addresses by name in the processes of a model (app/worker/process_manager.py)
APP_CONTRACT = {ORDER_PROCESS: {"userTask": ("sign_order",), "message": ("cancel_order", "new_code_requested")}}
WAITING_STATES = {"running", "ready", "waiting", "error"}
MAX_ORDERS = 2000  # running orders looked at (newest first); the answer says when there were more


def deploy_check(system, caller: Caller, name: str, files: dict) -> dict:
    """{"problems": [...], "waiting": [{element_id, element_type, name, version, orders}],
    "orders_running", "orders_checked"}: problems in the shape validation answers."""
    require_role(caller, MODELLERS, "work on process models")
    new_ids = {e["id"]: e["type"] for e in system.catalog.engine.elements(files)}
    problems = contract_problems(name, files)
    query = {"model.name": name, "status": {"$nin": sorted(statuses.FINAL)}}
    running = system.repo.count(query)
    waiting = waiting_elements(system, query)
    moved: dict[str, list[dict]] = {}
    for spot in waiting:
        if new_ids.get(spot["element_id"]) != spot["element_type"]:
            moved.setdefault(spot["element_id"], []).append(spot)
    for element_id, spots in moved.items():
        first = spots[0]
        what = "has no such element" if element_id not in new_ids else f"makes it a {new_ids[element_id]}"
        versions = ", ".join(f"{s['version']} ({s['orders']})" for s in spots)
        problems.append(Problem(
            element_id=element_id, element_type=first["element_type"], line=None, severity=WARNING, file=None,
            message=f"{sum(s['orders'] for s in spots)} running order(s) wait at {first['element_type']} "
                    f"'{first['name'] or element_id}' (on version(s), with orders: {versions}); this version "
                    f"{what}. They keep their versions and finish on them: the change does not reach them."))
    return {"problems": [p.as_dict() for p in problems], "waiting": waiting,
            "orders_running": running, "orders_checked": min(running, MAX_ORDERS)}


def contract_problems(name: str, files: dict) -> list[Problem]:
    contract = APP_CONTRACT.get(name)
    if not contract:
        return []
    report = Report()
    loaded = load(files, report)
    tasks = {n.get("id") for f in loaded for n in f.root.iterfind(".//bpmn:userTask", NS)}
    messages = {n.get("name") for f in loaded for n in f.root.iterfind("bpmn:message", NS)}
    caught = {f.root.find(f"bpmn:message[@id='{d.get('messageRef')}']", NS) for f in loaded
              for d in f.root.iterfind(".//bpmn:messageEventDefinition", NS)}
    caught_names = {m.get("name") for m in caught if m is not None}
    problems = []
    for task in contract.get("userTask", ()):
        if task not in tasks:
            problems.append(_contract(task, "userTask", f"the application completes user task '{task}' when "
                                      "the buyer signs: a version without it leaves new orders unsigned forever"))
    for message in contract.get("message", ()):
        if message not in messages or message not in caught_names:
            problems.append(_contract(message, "message", f"the application sends message '{message}' to every "
                                      "order of this model: a version without an event that catches it "
                                      "would ignore it"))
    return problems


def _contract(element_id, element_type, message) -> Problem:
    return Problem(element_id=element_id, element_type=element_type, line=None, severity=ERROR,
                   message=message, file=None)


def waiting_elements(system, query: dict) -> list[dict]:
    """Where running orders wait, from their saved engine state: [{element_id, element_type,
    name, version, orders}], one entry per element and version."""
    found: dict[tuple, dict] = {}
    names: dict[int, dict] = {}
    for order in system.repo.find(query, limit=MAX_ORDERS, projection={"model": 1, "process": 1}):
        if not order.get("process"):
            continue
        model = order["model"]
        instance = system.catalog.engine.load(system.catalog.get(model["spec_hash"]),
                                              process_state.decode(order["process"]))
        elements = names.get(model["version"])
        if elements is None:
            record = system.catalog.version(model["name"], model["version"])
            elements = names[model["version"]] = {e["id"]: e for e in system.catalog.engine.elements(record.files)}
        for element_id, state in instance.step_states().items():
            if state not in WAITING_STATES or element_id not in elements:
                continue
            spot = found.setdefault((element_id, model["version"]), {
                "element_id": element_id, "element_type": elements[element_id]["type"],
                "name": elements[element_id].get("name"), "version": model["version"], "orders": 0})
            spot["orders"] += 1
    return sorted(found.values(), key=lambda s: (s["version"], s["element_id"]))
