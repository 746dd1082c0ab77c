"""What every page's frame shows: the navigation for the signed-in role, role names, titles."""
from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l

from app.domain.caller import ADMIN, ANALYST, BACKOFFICE, MANAGER


@dataclass(frozen=True)
class Link:
    path: str
    label: str
    roles: frozenset

    @property
    def current(self) -> bool:
        return request.path == self.path or request.path.startswith(self.path + "/")


NAVIGATION = (
    Link("/orders", _l("Orders"), frozenset({MANAGER, BACKOFFICE, ADMIN})),
    Link("/orders/new", _l("New order"), frozenset({MANAGER})),
    Link("/inbox", _l("Inbox"), frozenset({BACKOFFICE, ADMIN})),
    Link("/incidents", _l("Incidents"), frozenset({ADMIN})),
    Link("/dashboard", _l("Dashboard"), frozenset({ADMIN})),
    Link("/models", _l("Process models"), frozenset({ANALYST, ADMIN})),
)
ROLE_NAMES = {MANAGER: _l("manager"), BACKOFFICE: _l("back office"), ANALYST: _l("analyst"),
              ADMIN: _l("administrator")}
ERROR_TITLES = {400: _l("Bad request"), 401: _l("Please sign in"), 403: _l("Not allowed"),
                404: _l("Not found"), 409: _l("Conflict"), 413: _l("Too large"),
                422: _l("Invalid input"), 429: _l("Too many requests"), 500: _l("Something went wrong")}


def navigation(role: str) -> list[Link]:
    links = [link for link in NAVIGATION if role in link.roles]
    # the most specific link is the current one (/orders/new, not /orders too)
    current = max((l for l in links if l.current), key=lambda l: len(l.path), default=None)
    return [{"path": l.path, "label": l.label, "current": l is current} for l in links]


def init_app(app) -> None:
    app.jinja_env.globals.update(
        navigation=navigation,
        role_name=lambda role: ROLE_NAMES.get(role, role),
        error_title=lambda code: ERROR_TITLES.get(code, code),
    )
