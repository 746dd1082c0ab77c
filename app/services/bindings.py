"""What a process model can bind to: the application's handlers (for service tasks) and forms
(for user tasks). Read by the model editor and `GET /api/v1/handlers`, `GET /api/v1/forms`."""
from app.services.errors import require_role
from app.forms.form import pick
from app.forms.loader import FormError, list_forms, load_form
from app.domain.caller import Caller, MODELLERS
from handlers import registry


def handlers(system, caller: Caller) -> list[dict]:
    """Every handler: name, description, parameters, read-only, which handler undoes it
    (`compensation`) and which one it undoes (`compensates`)."""
    require_role(caller, MODELLERS, "work on process models")
    known = system.process_manager.handlers
    return [registry.describe(name, fn, known) for name, fn in sorted(known.items())]


def forms(system, caller: Caller, lang: str = "en") -> list[dict]:
    """Every form in forms/: its file name, title (in `lang`), fields with their choices; a
    form that does not load is listed with its problem (a model cannot use it)."""
    require_role(caller, MODELLERS, "work on process models")
    found = []
    for name in list_forms(system.settings.forms_dir):
        try:
            form = load_form(system.settings.forms_dir, name)
        except FormError as error:
            found.append({"name": name, "title": name, "fields": [], "problem": str(error)})
            continue
        found.append({"name": name, "title": pick(form.ui.get("title"), lang) or form.schema.get("title") or name,
                      "description": form.schema.get("description", ""),
                      "fields": [_field(form, field, lang) for field in form.field_names], "problem": None})
    return found


def _field(form, name: str, lang: str) -> dict:
    schema = form.schema["properties"][name]
    hints = form.field_ui(name)
    return {"name": name, "label": pick(hints.get("label"), lang) or schema.get("title") or name,
            "type": schema.get("type"), "required": name in form.schema.get("required", []),
            "choices": [c["value"] for c in form.choices(name, lang=lang)] if not hints.get("choices_from") else [],
            "choices_from": hints.get("choices_from")}
