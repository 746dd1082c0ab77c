"""Incidents: steps (or whole commands) that need an operator: list, retry, resolve."""
from app.domain.clock import as_utc
from app.messaging import commands
from app.domain.caller import ADMIN, Caller
from app.services.errors import Conflict, NotFound, require_role
from app.store.orders import history_entry

STATUSES = ("open", "retried", "resolved", "superseded")


def _require_admin(caller: Caller) -> None:
    require_role(caller, (ADMIN,), "handle incidents")


def incident_view(incident: dict) -> dict:
    return {**incident, "created_at": as_utc(incident["created_at"]),
            "closed_at": as_utc(incident.get("closed_at"))}


def list_incidents(system, caller: Caller, status: str | None = None) -> list[dict]:
    """Incidents, newest first."""
    _require_admin(caller)
    found = system.repo.find({"incidents.0": {"$exists": True}}, projection={"incidents": 1})
    incidents = [i for o in found for i in o["incidents"] if status is None or i["status"] == status]
    return sorted((incident_view(i) for i in incidents), key=lambda i: i["created_at"], reverse=True)


def _incident(system, incident_id: str) -> dict:
    found = system.repo.find({"incidents.id": incident_id}, projection={"incidents": 1})
    incident = next((i for o in found for i in o["incidents"] if i["id"] == incident_id), None)
    if incident is None:
        raise NotFound("incident not found")
    return incident


def find_incident(system, caller: Caller, incident_id: str) -> dict:
    """One incident, whatever its status."""
    _require_admin(caller)
    return incident_view(_incident(system, incident_id))


def _open_incident(system, incident_id: str) -> dict:
    incident = _incident(system, incident_id)
    if incident["status"] != "open":
        raise Conflict(f"incident is {incident['status']}")
    return incident


def _command(system, caller: Caller, kind: str, incident_id: str, payload: dict) -> dict:
    _require_admin(caller)
    incident = _open_incident(system, incident_id)
    command = commands.Command(type=kind, order_id=incident["order_id"], actor=caller.id,
                               payload={"incident_id": incident["id"], **payload})
    system.repo.append(incident["order_id"], outbox=[command.outbox_event()],
                       history=[history_entry(caller.id, kind + "_requested",
                                              incident_id=incident["id"], **payload)])
    return incident_view(incident)


def retry(system, caller: Caller, incident_id: str) -> dict:
    """Run the failed step again."""
    return _command(system, caller, commands.RETRY_INCIDENT, incident_id, {})


def resolve(system, caller: Caller, incident_id: str, reason: str) -> dict:
    """Close the incident: the step was done by hand; the written reason is kept."""
    return _command(system, caller, commands.RESOLVE_INCIDENT, incident_id, {"reason": reason})
