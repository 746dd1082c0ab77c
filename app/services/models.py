"""Process models for analysts and admins: check BPMN files, simulate them, deploy them, look at a
deployed version. Shared by the JSON API and the model pages."""
from app.domain.clock import as_utc
from app.engine import ModelError
from app.engine.simulation import Scenario, ScenarioError, simulate as run_simulation
from app.process_models import initial_data
from app.domain.caller import Caller, MODELLERS
from app.services.errors import Invalid, NotFound, require_role

SIMULATION_SECONDS = 10.0


def refused(problems) -> Invalid:
    """The refusal of a model with errors: the errors as text under `files` (field-level, as
    any invalid input) and every problem with its element under `problems`."""
    return Invalid({"files": [str(p) for p in problems if p.severity == "error"]}, "the model has errors",
                   problems=[p.as_dict() for p in problems])


def check(system, caller: Caller, files: dict) -> dict:
    """Every problem of the files at once, and their executable processes; nothing stored."""
    require_role(caller, MODELLERS, "work on process models")
    checked = system.catalog.engine.check(files)
    return {"valid": checked.valid, "problems": [p.as_dict() for p in checked.problems],
            "processes": checked.processes}


def deploy(system, caller: Caller, name: str, files: dict, note: str | None = None):
    """A new version of model `name` (its main process), or the latest if nothing changed;
    `note` says what changed."""
    require_role(caller, MODELLERS, "work on process models")
    from app.services.model_impact import contract_problems  # (model_impact imports this module)
    broken = contract_problems(name, files)
    try:
        if broken:
            raise ModelError([*system.catalog.engine.check(files, name).problems, *broken])
        return system.catalog.deploy(name, files, caller.id, note)
    except ModelError as error:
        raise refused(error.problems) from None


def versions(system, caller: Caller) -> list:
    require_role(caller, MODELLERS, "work on process models")
    return system.catalog.versions()


def simulate(system, caller: Caller, request: dict) -> dict:
    """Run the files on the real engine with a scripted scenario (app.engine.simulation): the
    process starts with the variables the worker gives every order, then `data`."""
    require_role(caller, MODELLERS, "work on process models")
    scenario = Scenario(data={**initial_data(system.settings), **request.get("data", {})},
                        outcomes=request.get("outcomes", {}), user_tasks=request.get("user_tasks", {}),
                        messages=request.get("messages", []), signals=request.get("signals", []),
                        max_steps=request["max_steps"], max_seconds=SIMULATION_SECONDS)
    try:
        return run_simulation(system.catalog.engine, request["files"], scenario, request.get("process_id"))
    except ModelError as error:
        raise refused(error.problems) from None
    except ScenarioError as error:
        raise Invalid({error.field: [str(error)]}, str(error)) from None


def version(system, caller: Caller, name: str, number: int) -> dict:
    """A deployed version: its files, the elements of their processes, who deployed it and when,
    and how many orders run on it (by status)."""
    require_role(caller, MODELLERS, "work on process models")
    record = system.catalog.version(name, number)
    if record is None:
        raise NotFound(f"no version {number} of model {name!r}")
    by_status = system.repo.count_by("status", {"model.name": name, "model.version": number})
    return {"id": record.id, "name": record.name, "version": record.version,
            "spec_hash": record.spec_hash, "deployed_at": as_utc(record.deployed_at),
            "deployed_by": record.deployed_by, "note": record.note, "files": dict(record.files),
            "elements": system.catalog.engine.elements(record.files),
            "orders": {"total": sum(by_status.values()), "by_status": by_status}}
