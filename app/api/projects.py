"""Construction projects a caller may order for."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api import auth
from app.services.orders import projects_for

blp = Blueprint("projects", __name__, url_prefix="/api/v1/projects",
                description="Construction projects and their developer accounts")


class ProjectSchema(Schema):
    id = fields.String()
    name = fields.String()
    developer = fields.String()
    developer_name = fields.String()
    developer_account = fields.String()
    open_for_agreements = fields.Boolean()


@blp.route("")
class Projects(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.response(200, ProjectSchema(many=True))
    def get(self):
        """Projects the caller may order for (a manager: its company's)"""
        return projects_for(auth.current())
