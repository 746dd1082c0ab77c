"""Commands the worker could not handle: an incident on their order, besides the dead letter."""
from dataclasses import asdict

from app.domain import statuses
from app.messaging import commands as cmd
from app.store.orders import history_entry
from app.worker.order_run import new_incident, status_changed


def record_failure(repo, order_id: str, what: str, error: str, command: cmd.Command | None, now) -> None:
    """Open an incident (the order goes INCIDENT); it keeps the command, which an operator's
    retry applies again. When that retry fails the same way, the incident it retried stays the
    one open incident (its attempts and error updated) rather than a second one."""
    order = repo.get(order_id)
    if order is None or statuses.is_final(order["status"]):
        return
    index = _retried(order, command)
    if index is not None:  # incidents are only ever appended: the index names it
        retried = order["incidents"][index]
        repo.append(order_id, history=[history_entry("worker", "incident.retry_failed", at=now,
                                                     incident_id=retried["id"], error=error)],
                    set_fields={f"incidents.{index}.error": error,
                                f"incidents.{index}.attempts": retried["attempts"] + 1},
                    condition={f"incidents.{index}.id": retried["id"]})
        return
    incident = new_incident(order_id, what, None, None, error, 1, now)
    if command is not None:
        incident["command"] = asdict(command)
    events = [] if order["status"] == statuses.INCIDENT else \
        [status_changed(order_id, order["status"], statuses.INCIDENT, now)]
    repo.append(order_id, outbox=events, history=[
        history_entry("worker", "incident.opened", at=now, incident_id=incident["id"], error=error),
        *[history_entry("worker", "status", at=now, **{"from": order["status"], "to": statuses.INCIDENT})
          for _ in events]],
        set_fields={"status": statuses.INCIDENT}, push={"incidents": incident})


def _retried(order: dict, command: cmd.Command | None) -> int | None:
    """The index of the open incident a failed retry command was retrying."""
    if command is None or command.type != cmd.RETRY_INCIDENT:
        return None
    return next((n for n, i in enumerate(order["incidents"]) if i["id"] == command.payload.get("incident_id")
                 and i["status"] == "open"), None)
