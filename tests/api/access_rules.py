"""Who may call what: the one table the authorization matrix derives its expectations from.

Every operation of the OpenAPI document needs a rule here (a new one without a rule fails the
matrix). A rule names the roles that may call the operation; the matrix adds what holds for
every operation: no token or an unknown one is 401, a role not named is 403, and a manager
reaching another company's order (or its task, its SMS) is 404, as if it did not exist. The
resource an operation acts on comes from its path parameters (order_id, task_id, incident_id;
or `resource_query`); other path parameters take `path_values`, e.g.
allow(ANALYST, ADMIN, path_values=(("name", "order_creation"), ("version", "1")))."""
from dataclasses import dataclass

ADMIN, ANALYST, BACKOFFICE, MANAGER = "admin", "analyst", "backoffice", "manager"
EVERY_ROLE = frozenset({ADMIN, ANALYST, BACKOFFICE, MANAGER})
PROBE_MODEL = "backoffice_resolution"


@dataclass(frozen=True)
class Rule:
    roles: frozenset
    resource_query: str | None = None  # a query parameter that names an order (dev SMS)
    variant: str = ""
    path_values: tuple = ()  # (name, value) for path parameters that name no company's resource
    query_values: tuple = ()  # (name, value) for required query parameters


def allow(*roles, **options) -> Rule:
    return Rule(frozenset(roles), **options)


RULES: dict[tuple[str, str], list[Rule]] = {
    ("GET", "/api/v1/orders"): [allow(*EVERY_ROLE)],
    ("POST", "/api/v1/orders"): [allow(MANAGER)],
    ("GET", "/api/v1/orders/{order_id}"): [allow(*EVERY_ROLE)],
    ("POST", "/api/v1/orders/{order_id}/cancel"): [allow(MANAGER, BACKOFFICE, ADMIN)],
    ("POST", "/api/v1/orders/{order_id}/signature"): [allow(MANAGER)],
    ("POST", "/api/v1/orders/{order_id}/signature/code"): [allow(MANAGER)],
    ("GET", "/api/v1/projects"): [allow(*EVERY_ROLE)],
    ("GET", "/api/v1/tasks"): [allow(*EVERY_ROLE)],
    ("POST", "/api/v1/tasks/{task_id}/claim"): [allow(BACKOFFICE, ADMIN)],
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): [allow(BACKOFFICE, ADMIN)],
    ("POST", "/api/v1/tasks/{task_id}/complete"): [allow(BACKOFFICE, ADMIN)],
    ("GET", "/api/v1/tasks/{task_id}/form"): [allow(BACKOFFICE, ADMIN)],
    ("GET", "/api/v1/incidents"): [allow(ADMIN)],
    ("POST", "/api/v1/incidents/{incident_id}/retry"): [allow(ADMIN)],
    ("POST", "/api/v1/incidents/{incident_id}/resolve"): [allow(ADMIN)],
    ("GET", "/api/v1/models"): [allow(ANALYST, ADMIN)],
    ("POST", "/api/v1/models"): [allow(ANALYST, ADMIN)],
    ("POST", "/api/v1/models/validate"): [allow(ANALYST, ADMIN)],
    ("POST", "/api/v1/simulations"): [allow(ANALYST, ADMIN)],
    ("GET", "/api/v1/models/{name}/versions/{version}"): [
        allow(ANALYST, ADMIN, path_values=(("name", "order_creation"), ("version", "1")))],
    ("GET", "/api/v1/models/{name}/diff"): [  # the matrix deploys two versions of PROBE_MODEL
        allow(ANALYST, ADMIN, path_values=(("name", PROBE_MODEL),), query_values=(("from", "1"), ("to", "2")))],
    ("POST", "/api/v1/models/{name}/deploy-check"): [
        allow(ANALYST, ADMIN, path_values=(("name", "order_creation"),))],
    ("GET", "/api/v1/handlers"): [allow(ANALYST, ADMIN)],
    ("GET", "/api/v1/forms"): [allow(ANALYST, ADMIN)],
    ("GET", "/api/v1/dev/faults"): [allow(ADMIN)],
    ("POST", "/api/v1/dev/faults"): [allow(ADMIN)],
    ("GET", "/api/v1/dev/sms"): [allow(ADMIN, variant="whole outbox"),
                                 allow(MANAGER, ADMIN, resource_query="order_id", variant="one order")],
    ("GET", "/api/v1/dev/kafka"): [allow(ADMIN)],
}

# What a manager must never read: the back office's candidate records (other people's data).
BACKOFFICE_ONLY = ("C00000002", "C00000003", "Sergeevna", "Sergeyevna")
