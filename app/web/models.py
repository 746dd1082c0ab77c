"""The analysts' pages: the process models and their versions, one version (diagram, files,
elements), the editor (bpmn-js Modeler with our properties, live checks, simulation, deploy)
and the comparison of two versions. A thin layer over app/services; the editor's script talks
to the JSON API (validate, simulations, deploy, handlers, forms) with the session."""
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api.views import system
from app.domain import statuses
from app.process_models import ORDER_PROCESS
from app.services import model_diff, model_overview, models
from app.domain.caller import ADMIN, ANALYST
from app.services.errors import NotFound
from app.web.auth import role_required
from app.web.model_texts import editor_texts

blp = Blueprint("web_models", __name__)
ANALYSTS = (ANALYST, ADMIN)
# Variables a simulation of a model starts with, as the worker would find them at that point
# (the order model branches on what the client search found: a new client by default)
SIMULATION_DATA = {ORDER_PROCESS: {"client_match": "none"}}


@blp.get("/models")
@role_required(*ANALYSTS)
def model_list():
    return render_template("models/list.html", models=model_overview.overview(system(), current_user.caller))


@blp.get("/models/<name>/versions/<int:version>")
@role_required(*ANALYSTS)
def version_page(name: str, version: int):
    shown = models.version(system(), current_user.caller, name, version)
    bundle = model_overview.bundle(system(), current_user.caller, name, version)
    latest = system().catalog.latest(name)
    return render_template("models/version.html", model=shown, bundle=bundle, latest=latest.version,
                           elements=_by_file(shown["elements"], bundle["files"]))


def _by_file(elements: list[dict], files: dict) -> list[tuple[str, list[dict]]]:
    return [(name, [e for e in elements if e.get("file") == name]) for name in files]


@blp.get("/models/<name>/versions/<int:version>/files/<file_name>")
@role_required(*ANALYSTS)
def download(name: str, version: int, file_name: str):
    files = model_overview.bundle(system(), current_user.caller, name, version)["files"]
    if file_name not in files:
        raise NotFound(f"version {version} of {name} has no file {file_name}")
    return Response(files[file_name], mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', "X-Content-Type-Options": "nosniff"})


@blp.get("/models/<name>/edit")
@role_required(*ANALYSTS)
def editor(name: str):
    bundle = model_overview.bundle(system(), current_user.caller, name)
    data = {"name": name, "version": bundle["version"], "main_file": bundle["main_file"],
            "files": list(bundle["files"].items()),  # [name, xml] pairs: the main file first
            "statuses": [s for s in statuses.ALL], "simulation_data": SIMULATION_DATA.get(name, {}),
            "texts": editor_texts()}
    return render_template("models/edit.html", bundle=bundle, data=data)


@blp.get("/models/<name>/diff")
@role_required(*ANALYSTS)
def diff(name: str):
    versions = [v["version"] for m in model_overview.overview(system(), current_user.caller) if m["name"] == name
                for v in m["versions"]]
    if not versions:
        raise NotFound(f"no model {name!r}")
    new = _version_arg("to", versions[0], versions)
    old = _version_arg("from", max((v for v in versions if v < new), default=new), versions)
    found = None
    if old != new:
        found = model_diff.versions_diff(system(), current_user.caller, name, old, new)
        for change in found["changes"]:
            change["text"] = model_diff.describe(change, _)
    bundles = {side: model_overview.bundle(system(), current_user.caller, name, number)
               for side, number in (("from", old), ("to", new))}
    files = list(dict.fromkeys([*bundles["to"]["files"], *bundles["from"]["files"]]))
    return render_template("models/diff.html", name=name, versions=versions, old=old, new=new, diff=found,
                           bundles=bundles, files=files)


def _version_arg(key: str, default: int, versions: list[int]) -> int:
    text = request.args.get(key, "")
    return int(text) if text.isdigit() and int(text) in versions else default
