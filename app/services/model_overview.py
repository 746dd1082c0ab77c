"""The process models as the analysts' pages show them: every model with its versions (who
deployed each, when, with what note) and the orders running on each version, by status; and
one model's files for the editor."""
from app.domain.clock import as_utc
from app.domain.caller import Caller, MODELLERS
from app.services.errors import NotFound, require_role
from app.services.order_diagram import main_file
from app.store.documents import User


def overview(system, caller: Caller) -> list[dict]:
    """[{name, latest, versions: [{version, deployed_at, deployed_by, note, orders: {total,
    by_status}}] newest first}], models by name."""
    require_role(caller, MODELLERS, "work on process models")
    people = {u.id: u.name or u.username for u in User.objects.only("id", "name", "username")}
    models: dict[str, dict] = {}
    for record in system.catalog.versions():
        by_status = system.repo.count_by("status", {"model.name": record.name, "model.version": record.version})
        model = models.setdefault(record.name, {"name": record.name, "latest": record.version, "versions": []})
        model["versions"].append({
            "version": record.version, "deployed_at": as_utc(record.deployed_at),
            "deployed_by": people.get(record.deployed_by, record.deployed_by), "note": record.note,
            "orders": {"total": sum(by_status.values()), "by_status": by_status}})
    return [models[name] for name in sorted(models)]


def bundle(system, caller: Caller, name: str, version: int | None = None) -> dict:
    """A version's files (the latest without `version`) with the file of the main process
    first: {name, version, files, main_file, note, deployed_at, deployed_by}."""
    require_role(caller, MODELLERS, "work on process models")
    record = system.catalog.version(name, version) if version else system.catalog.latest(name)
    if record is None:
        raise NotFound(f"no version {version} of model {name!r}" if version else f"no model {name!r}")
    files = dict(record.files)
    main = main_file(files, name)
    ordered = {k: files[k] for k in sorted(files, key=lambda k: (k != main, k))}
    return {"name": record.name, "version": record.version, "files": ordered, "main_file": main,
            "note": record.note, "deployed_at": as_utc(record.deployed_at), "deployed_by": record.deployed_by}
