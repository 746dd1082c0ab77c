"""User-task forms: JSON Schema + UI hints per task (forms/*.json), validated and rendered.

    form = load_form(forms_dir, "backoffice_resolution.json")
    errors = form.validate(data, task_data=task.data)        # {} when valid
    html = form.render(task.data, values=data, errors=errors, lang="ru")
    body_schema = form.openapi_schema()
"""
from app.forms.form import FORM_LEVEL, Form
from app.forms.loader import FormError, check_all, check_form, list_forms, load_form, parse_form

__all__ = ["FORM_LEVEL", "Form", "FormError", "check_all", "check_form", "list_forms", "load_form",
           "parse_form"]
