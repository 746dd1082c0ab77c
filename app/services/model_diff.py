"""What changed between two versions of a process model: elements added, removed and changed,
with the words an analyst reads ("service task 'Second compliance check' added after
'Compliance check'"). One computation for the API and the diff page.

Elements are matched by id; connectors (sequence flows, associations) by their type and ends,
so a flow drawn again between the same elements is no change. Connectors to or from an added or
removed element are not listed: the element's own entry says where it sits.
"""
from collections import Counter

from app.engine.bpmn_xml import CONNECTORS
from app.engine.element_details import details
from app.domain.caller import Caller, MODELLERS
from app.services.errors import Invalid, NotFound, require_role


def N_(text: str) -> str:
    """Marks a text for translation where it is defined; it is translated where it is shown."""
    return text


TYPE_NAMES = {
    "task": N_("task"), "serviceTask": N_("service task"), "userTask": N_("user task"),
    "scriptTask": N_("script task"), "manualTask": N_("manual task"), "sendTask": N_("send task"),
    "receiveTask": N_("receive task"), "businessRuleTask": N_("business rule task"),
    "callActivity": N_("call activity"), "subProcess": N_("sub-process"), "transaction": N_("transaction"),
    "startEvent": N_("start event"), "endEvent": N_("end event"), "boundaryEvent": N_("boundary event"),
    "intermediateCatchEvent": N_("intermediate catch event"),
    "intermediateThrowEvent": N_("intermediate throw event"),
    "exclusiveGateway": N_("exclusive gateway"), "parallelGateway": N_("parallel gateway"),
    "inclusiveGateway": N_("inclusive gateway"), "eventBasedGateway": N_("event-based gateway"),
    "sequenceFlow": N_("sequence flow"), "association": N_("association"),
}
FIELD_NAMES = {"name": N_("name"), "type": N_("type"), "handler": N_("handler"), "events": N_("event"),
               "attached_to": N_("attached to"), "called": N_("called process"),
               "condition": N_("condition"), "for_compensation": N_("compensation handler"),
               "interrupting": N_("interrupting")}


def _plain(text, **values):
    return text % values if values else text


# --- comparing ---------------------------------------------------------------------------------

def versions_diff(system, caller: Caller, name: str, old: int, new: int) -> dict:
    """The changes from version `old` to version `new` of model `name`."""
    require_role(caller, MODELLERS, "work on process models")
    if old == new:
        raise Invalid({"to": ["choose two different versions"]}, "the same version twice")
    records = {n: system.catalog.version(name, n) for n in (old, new)}
    for number, record in records.items():
        if record is None:
            raise NotFound(f"no version {number} of model {name!r}")
    changes = compare(system.catalog.engine, dict(records[old].files), dict(records[new].files))
    for change in changes:
        change["text"] = describe(change)
    return {"name": name, "from": old, "to": new, "changes": changes, "marks": marks(changes)}


def compare(engine, old_files: dict, new_files: dict) -> list[dict]:
    old, new = _Version(engine, old_files), _Version(engine, new_files)
    added = [i for i in new.nodes if i not in old.nodes]
    removed = [i for i in old.nodes if i not in new.nodes]
    changes = [new.entry("added", i) for i in added]
    changes += [old.entry("removed", i) for i in removed]
    for element_id in new.nodes:
        if element_id in old.nodes:
            fields = _fields(old.nodes[element_id], new.nodes[element_id])
            if fields:
                changes.append({**new.entry("changed", element_id), "fields": fields,
                                "old_name": old.nodes[element_id]["name"]})
    changes += _connector_changes(old, new, set(added) | set(removed))
    return changes


class _Version:
    def __init__(self, engine, files: dict):
        elements = engine.elements(files)
        settings = details(files)
        self.nodes = {e["id"]: {**e, **settings.get(e["id"], {})} for e in elements if e["type"] not in CONNECTORS}
        self.connectors = [{**e, **settings.get(e["id"], {})} for e in elements if e["type"] in CONNECTORS]
        flows = [c for c in self.connectors if c["type"] == "sequenceFlow"]
        self.before = {i: [f["source"] for f in flows if f["target"] == i] for i in self.nodes}
        self.after = {i: [f["target"] for f in flows if f["source"] == i] for i in self.nodes}

    def label(self, element_id: str) -> str:
        node = self.nodes.get(element_id, {})
        return node.get("name") or element_id

    def entry(self, kind: str, element_id: str) -> dict:
        node = self.nodes[element_id]
        return {"kind": kind, "element_id": element_id, "element_type": node["type"], "name": node.get("name"),
                "file": node.get("file"), "process": node.get("process"),
                "after": [self.label(i) for i in self.before[element_id]],
                "before": [self.label(i) for i in self.after[element_id]],
                "attached_to": self.label(node["attached_to"]) if node.get("attached_to") else None,
                "handler": node.get("handler")}


def _fields(old: dict, new: dict) -> list[dict]:
    changed = []
    for key in ("type", "name", "handler", "events", "attached_to", "called", "condition",
                "for_compensation", "interrupting"):
        if old.get(key) != new.get(key):
            changed.append({"field": key, "old": _shown(old.get(key)), "new": _shown(new.get(key))})
    for group, prefix in (("properties", "property"), ("parameters", "parameter")):
        before, after = old.get(group, {}), new.get(group, {})
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                changed.append({"field": f"{prefix}:{key}", "old": before.get(key), "new": after.get(key)})
    return changed


def _shown(value):
    if isinstance(value, list):
        return ", ".join(value) or None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _connector_changes(old: _Version, new: _Version, moved: set) -> list[dict]:
    """Connectors matched by type and ends; those touching an added or removed node are left out,
    and so is a flow an added node now stands in, or one that replaced a removed node."""
    def key(c):
        return c["type"], c["source"], c["target"]
    before, after = Counter(map(key, old.connectors)), Counter(map(key, new.connectors))
    # A → B that became A → X → B (X added), or the reverse (X removed): X's entry says it
    inserted = {(a, b) for i in moved if i in new.nodes for a in new.before[i] for b in new.after[i]}
    bypassed = {(a, b) for i in moved if i in old.nodes for a in old.before[i] for b in old.after[i]}
    changes = []
    for version, kind, ours, theirs in ((new, "added", after, before), (old, "removed", before, after)):
        seen = Counter()
        for c in version.connectors:
            seen[key(c)] += 1
            if seen[key(c)] <= theirs[key(c)] or c["source"] in moved or c["target"] in moved:
                continue
            if (c["source"], c["target"]) in (inserted if kind == "removed" else bypassed):
                continue
            changes.append(_connector_entry(kind, c, version))
    old_by_key = {key(c): c for c in old.connectors}
    for c in new.connectors:
        match = old_by_key.get(key(c))
        if match is not None:
            fields = [f for f in _fields(match, c) if f["field"] in ("name", "condition")]
            if fields:
                changes.append({**_connector_entry("changed", c, new), "fields": fields,
                                "old_id": match["id"]})
    return changes


def _connector_entry(kind: str, c: dict, version: _Version) -> dict:
    return {"kind": kind, "element_id": c["id"], "element_type": c["type"], "name": c.get("name"),
            "file": c.get("file"), "process": c.get("process"),
            "source": version.label(c["source"]), "target": version.label(c["target"])}


def marks(changes: list[dict]) -> dict:
    """What the two diagrams mark: {"from": {id: removed | changed}, "to": {id: added | changed}}."""
    old, new = {}, {}
    for change in changes:
        if change["kind"] == "removed":
            old[change["element_id"]] = "removed"
        elif change["kind"] == "added":
            new[change["element_id"]] = "added"
        else:
            old[change.get("old_id", change["element_id"])] = "changed"
            new[change["element_id"]] = "changed"
    return {"from": old, "to": new}


# --- words -------------------------------------------------------------------------------------

def describe(change: dict, _=_plain) -> str:
    """The change in words; `_` translates (flask_babel.gettext on the pages, English here)."""
    kind = _(TYPE_NAMES.get(change["element_type"], change["element_type"]))
    if change["element_type"] in CONNECTORS:
        what = _("%(kind)s from '%(source)s' to '%(target)s'", kind=kind, source=change["source"],
                 target=change["target"])
        if change["kind"] == "added":
            return _("%(what)s added", what=what)
        if change["kind"] == "removed":
            return _("%(what)s removed", what=what)
        return _("%(what)s: %(fields)s", what=what, fields=_fields_text(change["fields"], _))
    name = f"'{change['name']}'" if change.get("name") else change["element_id"]
    if change["kind"] == "changed":
        if change.get("old_name") and change["old_name"] != change.get("name"):
            name = f"'{change['old_name']}'"
        return _("%(kind)s %(name)s changed: %(fields)s", kind=kind, name=name,
                 fields=_fields_text(change["fields"], _))
    placed = change.get("after") or change.get("before")
    text = _("%(kind)s %(name)s added", kind=kind, name=name) if change["kind"] == "added" else \
        _("%(kind)s %(name)s removed; it came", kind=kind, name=name) if placed else \
        _("%(kind)s %(name)s removed", kind=kind, name=name)
    where = []
    if change.get("attached_to"):
        where.append(_("on '%(host)s'", host=change["attached_to"]))
    if change.get("after"):
        where.append(_("after %(names)s", names=_names(change["after"])))
    if change.get("before"):
        where.append(_("before %(names)s", names=_names(change["before"])))
    if change["kind"] == "added" and change.get("handler"):
        where.append(_("handler %(handler)s", handler=change["handler"]))
    return text + (" " + ", ".join(where) if where else "")


def _names(labels: list[str]) -> str:
    return ", ".join(f"'{label}'" for label in labels)


def _fields_text(fields: list[dict], _) -> str:
    parts = []
    for f in fields:
        prefix, _sep, key = f["field"].partition(":")
        label = _("property %(key)s", key=key) if prefix == "property" else \
            _("parameter %(key)s", key=key) if prefix == "parameter" else _(FIELD_NAMES.get(prefix, prefix))
        none = _("none")
        parts.append(f"{label} {f['old'] if f['old'] is not None else none} → "
                     f"{f['new'] if f['new'] is not None else none}")
    return "; ".join(parts)
