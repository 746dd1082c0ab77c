"""Finding, loading (cached) and checking the form files in forms/."""
import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app.forms.form import Form

TEMPLATES = "templates"
WIDGETS = {"text", "textarea", "radio", "select"}
_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.json)?$")
_cache: dict[tuple[str, int], Form] = {}


class FormError(ValueError):
    """A form is missing or invalid; the message names the file."""


def file_name(name: str) -> str:
    """'sign_order' or 'sign_order.json' -> 'sign_order.json'; refuses anything path-like."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise FormError(f"invalid form name {name!r}")
    return name if name.endswith(".json") else f"{name}.json"


def list_forms(forms_dir) -> list[str]:
    """File names of the forms in forms_dir, sorted."""
    return sorted(p.name for p in Path(forms_dir).glob("*.json") if p.is_file())


def load_form(forms_dir, name: str) -> Form:
    """The form `name` from forms_dir, parsed and checked; cached until the file changes."""
    path = Path(forms_dir) / file_name(name)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise FormError(f"form {path.name} not found in {forms_dir}") from None
    key = (str(path.resolve()), stamp)
    form = _cache.get(key)
    if form is None:
        form = parse_form(path.name, path.read_text(encoding="utf-8"), Path(forms_dir) / TEMPLATES)
        _cache.clear() if len(_cache) > 256 else None
        _cache[key] = form
    return form


def parse_form(name: str, text: str, templates_dir: Path | None = None) -> Form:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormError(f"form {name}: not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise FormError(f"form {name}: the top level must be a JSON object")
    ui = document.pop("ui", {}) or {}
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as err:
        raise FormError(f"form {name}: not a valid JSON Schema: {err.message}") from None
    if document.get("type") != "object" or not isinstance(document.get("properties"), dict):
        raise FormError(f"form {name}: the schema must describe an object with properties")
    check_ui(name, document, ui)
    return Form(name=name, schema=document, ui=ui, templates_dir=templates_dir)


def check_ui(name: str, schema: dict, ui: dict) -> None:
    props = schema["properties"]
    if not isinstance(ui, dict):
        raise FormError(f"form {name}: 'ui' must be an object")
    for field_name in ui.get("order", []):
        if field_name not in props:
            raise FormError(f"form {name}: ui.order names unknown field {field_name!r}")
    for field_name, hints in (ui.get("fields") or {}).items():
        where = f"form {name}: ui.fields.{field_name}"
        if field_name not in props:
            raise FormError(f"{where}: no such field in the schema")
        widget = hints.get("widget", "text")
        if widget not in WIDGETS:
            raise FormError(f"{where}: unknown widget {widget!r} (use one of {sorted(WIDGETS)})")
        if widget in ("radio", "select") and not (hints.get("choices_from") or "enum" in props[field_name]):
            raise FormError(f"{where}: a {widget} needs an enum in the schema or choices_from")
        if hints.get("choices_from") and not isinstance(hints["choices_from"], str):
            raise FormError(f"{where}: choices_from must be the name of a list in the task data")
        unknown = set(hints.get("choices", {})) - {str(v) for v in props[field_name].get("enum", [])}
        if unknown:
            raise FormError(f"{where}: choices for values not in the enum: {sorted(unknown)}")


def check_form(forms_dir, name: str) -> Form:
    """Deploy-time check that a form referenced by a model exists and parses (raises FormError)."""
    return load_form(forms_dir, name)


def check_all(forms_dir) -> dict[str, str]:
    """Every form file in forms_dir -> problem text; empty when all parse."""
    problems = {}
    for name in list_forms(forms_dir):
        try:
            load_form(forms_dir, name)
        except FormError as err:
            problems[name] = str(err)
    return problems
