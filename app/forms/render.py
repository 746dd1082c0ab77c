"""HTML for a form, through the Jinja2 macros in forms/templates/macros.html (autoescaped)."""
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.forms.form import FORM_LEVEL, MESSAGES, Form, pick

MACROS = "macros.html"


@lru_cache(maxsize=8)
def environment(templates_dir: str) -> Environment:
    # autoescape=True for every template, whatever its file name: all text is escaped.
    return Environment(loader=FileSystemLoader(templates_dir), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def field_views(form: Form, task_data: dict | None, values: dict | None, errors: dict | None,
                lang: str) -> list[dict]:
    values, errors = values or {}, errors or {}
    required = set(form.schema.get("required", []))
    views = []
    for name in form.field_names:
        hints = form.field_ui(name)
        prop = form.schema.get("properties", {}).get(name, {})
        widget = hints.get("widget") or ("select" if "enum" in prop else "text")
        value = values.get(name)
        views.append({
            "name": name,
            "id": f"field-{name}",
            "widget": widget,
            "label": pick(hints.get("label"), lang) or prop.get("title") or name,
            "help": pick(hints.get("help"), lang),
            "required": name in required,
            "value": None if value is None else str(value),
            "errors": [m for key, msgs in errors.items() if key == name or key.startswith(name + ".")
                       for m in msgs],
            "choices": form.choices(name, task_data, lang) if widget in ("radio", "select") else [],
            "no_choices": pick(MESSAGES["no_choices"], lang),
            "attrs": {k: v for k, v in (hints.get("attrs") or {}).items() if v is not None},
        })
    return views


def render(form: Form, templates_dir: Path, task_data: dict | None = None, values: dict | None = None,
           errors: dict | None = None, lang: str = "en", action: str | None = None,
           hidden: dict | None = None) -> str:
    errors = errors or {}
    known = set(form.field_names)
    view = {
        "name": form.name,
        "id": "form-" + form.name.removesuffix(".json"),
        "lang": lang,
        "action": action,
        "hidden": hidden or {},
        "submit": pick(MESSAGES["complete"], lang),
        "correct": pick(MESSAGES["correct"], lang) if errors else "",
        "title": pick(form.ui.get("title"), lang) or form.schema.get("title", ""),
        "help": pick(form.ui.get("help"), lang),
        # form-level errors and errors of fields the form does not show
        "errors": [m for key, msgs in errors.items() if key == FORM_LEVEL or key.split(".")[0] not in known
                   for m in msgs],
        "fields": field_views(form, task_data, values, errors, lang),
    }
    macros = environment(str(templates_dir)).get_template(MACROS).module
    return str(macros.form(view))
