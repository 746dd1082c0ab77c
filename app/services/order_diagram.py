"""What an order's process diagram shows: the exact model version the order runs on, and the
state of each diagram element (the engine's view of every element, refined by the step records
the worker keeps), with the order in which steps were undone.

States are the diagram's vocabulary: completed, active, failed, compensating, compensated,
compensation_failed (pages draw them as CSS classes `state-<state>` with `_` as `-`).
"""
from lxml import etree

from app.engine.bpmn_xml import BPMN
from app.domain.caller import Caller
from app.services.errors import NotFound
from app.services.orders import visible_order
from app.store import process_state
from app.store.documents import ProcessModel

# the engine's element states (app.engine.views) -> diagram states; "cancelled" is not drawn
ENGINE_STATES = {"completed": "completed", "running": "active", "ready": "active",
                 "waiting": "active", "error": "failed", "compensating": "compensating",
                 "compensated": "compensated", "compensation_failed": "compensation_failed"}
# the worker's step records (app.worker.steps) -> diagram states; they know more than the
# engine (a step that failed after its retries, a compensation in progress)
STEP_STATES = {"completed": "completed", "running": "active", "waiting": "active",
               "failed": "failed", "compensating": "compensating", "compensated": "compensated",
               "compensation_failed": "compensation_failed"}
UNDOING = ("compensating", "compensation_failed")


def model_files(system, caller: Caller, order_id: str) -> dict:
    """The BPMN files of the model version the order runs on, and which file holds the process
    the order runs (the others hold called processes)."""
    return files_of(visible_order(system, caller, order_id)["model"])


def files_of(model: dict) -> dict:
    record = ProcessModel.objects(name=model["name"], version=model["version"]).first()
    if record is None:
        raise NotFound(f"process model {model['name']} version {model['version']} not found")
    files = dict(record.files)
    return {"name": record.name, "version": record.version, "files": files,
            "main_file": main_file(files, record.name)}


def main_file(files: dict[str, str], process_id: str) -> str | None:
    for name, xml in sorted(files.items()):
        root = etree.fromstring(xml.encode("utf-8"))
        if root.find(f"{{{BPMN}}}process[@id='{process_id}']") is not None:
            return name
    return None


def element_states(system, caller: Caller, order_id: str) -> dict:
    """{"states": {element id: state}, "undone": [step ids, in the order they were undone]}."""
    order = visible_order(system, caller, order_id)
    return states_of(order, engine_states(system, order), system.repo.full_history(order))


def engine_states(system, order: dict) -> dict[str, str]:
    """Every element's state as the engine's saved instance has it ({} before the first step)."""
    if not order.get("process"):
        return {}
    model = system.catalog.get(order["model"]["spec_hash"])
    instance = system.catalog.engine.load(model, process_state.decode(order["process"]))
    return instance.step_states()


def states_of(order: dict, engine: dict[str, str], history: list[dict]) -> dict:
    states = {element: ENGINE_STATES[s] for element, s in engine.items() if s in ENGINE_STATES}
    for step in order.get("steps", []):
        if step.get("state") in STEP_STATES:
            states[step["name"]] = STEP_STATES[step["state"]]
    return {"states": states, "undone": undo_order(order, history)}


def undo_order(order: dict, history: list[dict]) -> list[str]:
    """Steps whose effect was undone, in the order the rollback undid them; a step still being
    undone (or whose undoing failed) comes last."""
    done = [h["detail"]["step"] for h in history if h.get("action") == "step.compensated"]
    undone = list(dict.fromkeys(done))
    undone += [s["name"] for s in order.get("steps", [])
               if s.get("state") in UNDOING and s["name"] not in undone]
    return undone
