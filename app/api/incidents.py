"""Incidents: steps that need an operator (HTTP over app.services.incidents)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.schemas import IncidentSchema
from app.api.views import system
from app.services import incidents

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                description="Operator view of failed steps: retry or resolve by hand")


class IncidentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(incidents.STATUSES))


class ResolveSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


@blp.route("")
class Incidents(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.arguments(IncidentQuerySchema(), location="query")
    @blp.response(200, IncidentSchema(many=True))
    def get(self, query):
        """Incidents, newest first"""
        return incidents.list_incidents(system(), auth.current(), query.get("status"))


@blp.route("/<incident_id>/retry")
class Retry(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.response(202, IncidentSchema)
    def post(self, incident_id):
        """Run the failed step again"""
        return incidents.retry(system(), auth.current(), incident_id)


@blp.route("/<incident_id>/resolve")
class Resolve(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.arguments(ResolveSchema())
    @blp.response(202, IncidentSchema)
    def post(self, body, incident_id):
        """Close the incident: the step was done by hand; the written reason is kept"""
        return incidents.resolve(system(), auth.current(), incident_id, body["reason"])
