"""Incidents: steps that need an operator (e.g. a rollback that keeps failing)."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.views import system
from app.domain.clock import as_utc
from app.messaging import commands
from app.store.orders import history_entry

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                description="Operator view of failed steps: retry or resolve by hand")


class IncidentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    step = fields.String()
    handler = fields.String(allow_none=True)
    error = fields.String()
    attempts = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class IncidentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["open", "retried", "resolved", "superseded"]))


class ResolveSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


def _view(incident: dict) -> dict:
    return {**incident, "created_at": as_utc(incident["created_at"]),
            "closed_at": as_utc(incident.get("closed_at"))}


def _open_incident(incident_id: str) -> dict:
    found = system().repo.find({"incidents.id": incident_id}, projection={"incidents": 1})
    incident = next((i for o in found for i in o["incidents"] if i["id"] == incident_id), None)
    if incident is None:
        abort(404, message="incident not found")
    if incident["status"] != "open":
        abort(409, message=f"incident is {incident['status']}")
    return incident


def _command(kind: str, incident: dict, payload: dict) -> dict:
    caller = auth.current()
    command = commands.Command(type=kind, order_id=incident["order_id"], actor=caller.id,
                               payload={"incident_id": incident["id"], **payload})
    system().repo.append(incident["order_id"], outbox=[command.outbox_event()],
                         history=[history_entry(caller.id, kind + "_requested",
                                                incident_id=incident["id"], **payload)])
    return _view(incident)


@blp.route("")
class Incidents(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.arguments(IncidentQuerySchema, location="query")
    @blp.response(200, IncidentSchema(many=True))
    def get(self, query):
        """Incidents, newest first"""
        found = system().repo.find({"incidents.0": {"$exists": True}}, projection={"incidents": 1})
        incidents = [i for o in found for i in o["incidents"]
                     if "status" not in query or i["status"] == query["status"]]
        return sorted((_view(i) for i in incidents), key=lambda i: i["created_at"], reverse=True)


@blp.route("/<incident_id>/retry")
class Retry(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.response(202, IncidentSchema)
    def post(self, incident_id):
        """Run the failed step again"""
        return _command(commands.RETRY_INCIDENT, _open_incident(incident_id), {})


@blp.route("/<incident_id>/resolve")
class Resolve(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.arguments(ResolveSchema)
    @blp.response(202, IncidentSchema)
    def post(self, body, incident_id):
        """Close the incident: the step was done by hand; the written reason is kept"""
        return _command(commands.RESOLVE_INCIDENT, _open_incident(incident_id), {"reason": body["reason"]})
