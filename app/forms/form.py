"""One user-task form: a JSON Schema (draft 2020-12) plus a "ui" section of display hints.

The "ui" section (ignored by the validator, removed from the OpenAPI schema):

    "ui": {
      "title": {"en": "...", "ru": "..."},          # text or {lang: text}
      "help":  {"en": "...", "ru": "..."},
      "order": ["field", ...],                        # fields shown, in this order
      "fields": {
        "<field>": {
          "widget": "text" | "textarea" | "radio" | "select",
          "label": {...}, "help": {...},
          "attrs": {"inputmode": "numeric", ...},     # extra HTML attributes
          "choices": {"<enum value>": {...label}},    # labels of a static enum
          "choices_from": "candidates",               # dynamic choices: a list in the task data
          "value": "client_id",                       #   key of each item submitted as the value
          "choice_label": "{last_name} {passport.number}",  # label template (dict keys only;
                                                      #   text or {lang: text})
          "messages": {"<keyword>": {...}}            # per-field messages: required, pattern,
        }                                             #   minLength, enum, choice (dynamic), ...
      }
    }

Dynamic choices are checked on the server too: a submitted value must be one of the items of
the task data's list (see Form.validate).
"""
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator

DEFAULT_LANG = "en"
FORM_LEVEL = "_form"   # key of errors that belong to no single field

MESSAGES = {
    "required": {"en": "This field is required.", "ru": "Обязательное поле."},
    "pattern": {"en": "Invalid format.", "ru": "Неверный формат."},
    "enum": {"en": "Choose one of the options.", "ru": "Выберите один из вариантов."},
    "const": {"en": "Choose one of the options.", "ru": "Выберите один из вариантов."},
    "minLength": {"en": "Enter at least {limit} characters.", "ru": "Введите не меньше {limit} символов."},
    "maxLength": {"en": "Enter at most {limit} characters.", "ru": "Введите не больше {limit} символов."},
    "type": {"en": "Invalid value.", "ru": "Недопустимое значение."},
    "additionalProperties": {"en": "Unknown field.", "ru": "Неизвестное поле."},
    "choice": {"en": "Choose one of the offered values.", "ru": "Выберите одно из предложенных значений."},
    "no_choices": {"en": "There is nothing to choose from.", "ru": "Не из чего выбирать."},
    "invalid": {"en": "Invalid value.", "ru": "Недопустимое значение."},
    # the page's form: its button, and the note above it when fields need correcting
    "complete": {"en": "Complete", "ru": "Завершить"},
    "correct": {"en": "Please correct the fields marked below.", "ru": "Исправьте отмеченные поля."},
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def pick(text, lang: str = DEFAULT_LANG) -> str:
    """A text in the wanted language: plain strings as they are, {lang: text} with fallback."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get(DEFAULT_LANG) or next(iter(text.values()), "")


def lookup(data, path: str):
    """Value at a dotted path of nested dicts ('passport.number'); None when absent.
    Only dict keys are followed, never attributes, so templates cannot reach into objects."""
    value = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def fill(template: str, item: dict) -> str:
    """Replace {key} / {a.b} placeholders with the item's values (missing ones become empty)."""
    def one(match):
        value = lookup(item, match.group(1))
        return "" if value is None else str(value)
    text = " ".join(_PLACEHOLDER.sub(one, template).split())
    text = re.sub(r"\s+,", ",", text)          # "Ivanov , 1980" -> "Ivanov, 1980"
    text = re.sub(r",(\s*,)+", ",", text)      # empty parts between commas
    return text.strip(" ,")


@dataclass
class Form:
    name: str                 # file name, e.g. "sign_order.json"
    schema: dict              # the JSON Schema without "ui"
    ui: dict = field(default_factory=dict)
    templates_dir: Path | None = None   # where macros.html lives (forms/templates)

    def __post_init__(self):
        self._validator = Draft202012Validator(self.schema)

    # ---- describing the fields ----
    @property
    def field_names(self) -> list[str]:
        props = list(self.schema.get("properties", {}))
        order = [f for f in self.ui.get("order", []) if f in props]
        return order + [f for f in props if f not in order]

    def field_ui(self, name: str) -> dict:
        return self.ui.get("fields", {}).get(name, {})

    def message(self, name: str, keyword: str, lang: str, **values) -> str:
        text = self.field_ui(name).get("messages", {}).get(keyword) or MESSAGES.get(keyword) or MESSAGES["invalid"]
        return pick(text, lang).format(**values)

    def choices(self, name: str, task_data: dict | None = None, lang: str = DEFAULT_LANG) -> list[dict]:
        """[{value, label}] for a field: the static enum with its labels, or the dynamic list."""
        hints = self.field_ui(name)
        if hints.get("choices_from"):
            items = lookup(task_data or {}, hints["choices_from"]) or []
            key = hints.get("value", "value")
            template = pick(hints.get("choice_label"), lang)
            return [{"value": str(item.get(key)), "label": fill(template, item) if template else str(item.get(key))}
                    for item in items if isinstance(item, dict) and item.get(key) is not None]
        labels = hints.get("choices", {})
        return [{"value": str(v), "label": pick(labels.get(str(v)), lang) or str(v)}
                for v in self.schema.get("properties", {}).get(name, {}).get("enum", [])]

    # ---- validation ----
    def validate(self, data, task_data: dict | None = None, lang: str = DEFAULT_LANG) -> dict[str, list[str]]:
        """Field path -> readable messages; empty when the data is valid.

        With task_data, a field with dynamic choices ("choices_from") must hold one of them;
        without task_data that check is skipped (pass the task's data on the server)."""
        errors: dict[str, list[str]] = {}

        def add(path: str, text: str):
            if text not in errors.setdefault(path, []):
                errors[path].append(text)

        for error in sorted(self._validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
            parent = ".".join(str(p) for p in error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                for name in error.validator_value:
                    if name not in error.instance:
                        add(_join(parent, name), self.message(name, "required", lang))
            elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
                known = set(error.schema.get("properties", {}))
                for name in error.instance:
                    if name not in known:
                        add(_join(parent, name), self.message(name, "additionalProperties", lang))
            else:
                path = parent or FORM_LEVEL
                field_name = str(error.absolute_path[0]) if error.absolute_path else ""
                limit = error.validator_value if error.validator in ("minLength", "maxLength") else None
                keyword = error.validator if error.validator in MESSAGES else "invalid"
                add(path, self.message(field_name, keyword, lang, limit=limit))

        if task_data is not None and isinstance(data, dict):
            for name in self.field_names:
                value = data.get(name)
                if not self.field_ui(name).get("choices_from") or value is None or name in errors:
                    continue
                allowed = {c["value"] for c in self.choices(name, task_data, lang)}
                if not allowed:
                    add(name, self.message(name, "no_choices", lang))
                elif str(value) not in allowed:
                    add(name, self.message(name, "choice", lang))
        return errors

    def from_html(self, submitted) -> dict:
        """The data of an HTML form post (a mapping of strings) as JSON for validate():
        only the form's fields; an empty field is absent (so `required` reports it);
        numbers and booleans converted when they read as such (else left for validate)."""
        data = {}
        for name in self.field_names:
            value = submitted.get(name)
            if value is None or not str(value).strip():
                continue
            data[name] = _typed(self.schema["properties"][name].get("type"), value)
        return data

    # ---- HTML ----
    def render(self, task_data: dict | None = None, values: dict | None = None,
               errors: dict | None = None, lang: str = DEFAULT_LANG, *,
               action: str | None = None, hidden: dict | None = None) -> str:
        """The form as HTML (escaped), with the submitted values and the errors of validate();
        dynamic choices come from task_data. Without `action`: the fields only (the API's
        fragment); with it: a whole <form method="post"> with the `hidden` inputs (a CSRF
        token) and its "Complete" button."""
        from app.forms.render import render
        if self.templates_dir is None:
            raise ValueError(f"form {self.name}: no templates directory")
        return render(self, self.templates_dir, task_data, values, errors, lang, action=action, hidden=hidden)

    # ---- documentation ----
    def openapi_schema(self, openapi_version: str = "3.1.0") -> dict:
        """The task-completion body schema for OpenAPI: the JSON Schema without the ui hints.
        OpenAPI 3.1 takes draft 2020-12 as it is; for 3.0 the conditional parts (if/then/else)
        are dropped (the fields' descriptions say when they are required) and const becomes enum."""
        schema = copy.deepcopy(self.schema)
        for key in ("$schema", "$id"):
            schema.pop(key, None)
        if openapi_version.startswith("3.0"):
            schema = _to_openapi_30(schema)
        return schema


def _typed(kind, text: str):
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false", "on"):
        return text != "false"
    return text


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _to_openapi_30(schema):
    if isinstance(schema, list):
        return [_to_openapi_30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("if", "then", "else"):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "allOf":
            kept = [s for s in (_to_openapi_30(v) for v in value) if s]
            if kept:
                out["allOf"] = kept
        else:
            out[key] = _to_openapi_30(value)
    return out
