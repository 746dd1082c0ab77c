"""mongomock updates at the cost of the change they make (see app.store.mongomock_speedups):
the copy an update keeps of the document holds only what the update can change of it; the
worker's save (a conditional update by `_id` of top-level fields returning the old document)
and the relay's removal of sent events (`$pull` by values) are applied directly; anything else
goes to mongomock as before."""
import threading

import bson
from mongomock import collection as mongomock_collection
from mongomock import helpers as mongomock_helpers

from app.domain.plain import IMMUTABLE, copy_plain
from app.store.mongomock_lookup import INDEXABLE, MISSING, forget_changed, plain_match, unique_fields

_original_find_one_and_update = mongomock_collection.Collection.find_one_and_update
_original_update = mongomock_collection.Collection._update
_original_apply_update = mongomock_collection.Collection._apply_update_document
# Update operators that change only the fields their keys (and $rename's values) name, and how:
# these put a new value in place of the old one (which they leave as it was) ...
_REPLACING = frozenset({"$set", "$unset", "$inc", "$min", "$max", "$mul", "$currentDate", "$setOnInsert",
                        "$rename"})
# ... these change an array in place (adding or taking elements, not changing them)
_IN_PLACE_ARRAY = frozenset({"$push", "$pull", "$pullAll", "$addToSet", "$pop"})
# What the copy kept before an update needs of a field it names: nothing (the old value is left
# as it was), a copy of the field's own list or dict (its elements are left as they were), or all.
SHARE, SHALLOW, DEEP = 0, 1, 2
_updating = threading.local()  # the update this thread is applying: (its store, the fields it names)


def _find_one_and_update(self, filter, update, projection=None, sort=None, upsert=False,
                         return_document=mongomock_collection.ReturnDocument.BEFORE, **kwargs):
    """mongomock's; by `_id` and plain equalities, with a save's update (see _save_shape) and
    the document as it was to return, done here: the same checks, changes and answer."""
    store = self._store
    by_id = isinstance(filter, dict) and type(filter.get("_id")) in INDEXABLE
    document = store._documents.get(filter["_id"]) if by_id else None
    if not (by_id and sort is None and not upsert and not kwargs and isinstance(update, dict)
            and return_document is mongomock_collection.ReturnDocument.BEFORE
            and (document is None or _save_shape(update, document, unique_fields(store)))):
        return _original_find_one_and_update(self, filter, update, projection, sort, upsert,
                                             return_document, **kwargs)
    if document is None:
        return None
    store._remove_expired_documents()
    matched = plain_match(filter, document) if store._documents.get(filter["_id"]) is document else None
    if matched is None:  # expired meanwhile, or not plain: mongomock decides
        return _original_find_one_and_update(self, filter, update, projection, sort, upsert,
                                             return_document, **kwargs)
    if not matched:
        return None
    values = mongomock_helpers.patch_datetime_awareness_in_document(update)
    if "$set" in values:  # what mongomock checks of each value it sets, for all at once
        bson.encode(values["$set"])
    before = self._copy_only_fields(document, dict(projection) if projection is not None else None, dict)
    if self.codec_options.tz_aware:
        before = mongomock_helpers.make_datetime_timezone_aware_in_document(before)
    for name, value in values.get("$set", {}).items():
        value = mongomock_collection.copy.deepcopy(value) if isinstance(value, (list, tuple)) else value
        field, _, index = name.partition(".")
        if not index:
            document[field] = value
        else:
            array, position = document[field], int(index)
            array += [None] * (position + 1 - len(array))
            array[position] = value
    for name, value in values.get("$inc", {}).items():
        document[name] = document.get(name, 0) + value
    for name, value in values.get("$push", {}).items():
        document.setdefault(name, [])
        document[name] += list(value["$each"]) if isinstance(value, dict) else [value]
    return before


def _save_shape(update: dict, document: dict, unique: set) -> bool:
    """An update of top-level fields only: `$set` of fields or of elements of arrays the document
    has (`steps.3`), `$inc` of numbers, `$push` (`$each` at most) onto arrays; no field named
    twice (elements of one array apart), none under a unique index, not `_id`."""
    if not update or set(update) - {"$set", "$inc", "$push"}:
        return False
    named: dict[str, bool] = {}  # field -> named as an array's element
    for operator, fields in update.items():
        if not isinstance(fields, dict) or not fields:
            return False
        for name in fields:
            if not isinstance(name, str) or name.startswith("$") or "\0" in name:
                return False
            field, _, index = name.partition(".")
            if field in unique or field == "_id" or not field or (field in named and not (named[field] and index)):
                return False
            named[field] = bool(index)
            have, value = document.get(field, MISSING), fields[name]
            if index and not (operator == "$set" and index.isdigit() and type(have) is list):
                return False
            if operator == "$inc" and not (type(value) in (int, float) and type(have) in _NUMBER_OR_MISSING):
                return False
            if operator == "$push" and not (type(have) in _LIST_OR_MISSING and (
                    not isinstance(value, dict) or (list(value) == ["$each"] and isinstance(value["$each"], list)))):
                return False
    return True


_NUMBER_OR_MISSING = (int, float, type(MISSING))
_LIST_OR_MISSING = (list, type(MISSING))


def _update(self, spec, document, *args, **kwargs):
    store, fields = self._store, _named_fields(document)
    forget_changed(store, fields)
    _updating.now = (store, fields)
    try:
        return _original_update(self, spec, document, *args, **kwargs)
    finally:
        _updating.now = None
        forget_changed(store, fields)  # one rebuilt while the update ran may be out of date


def _apply_update_document(self, existing_document, spec, document, was_insert):
    """mongomock's, with `{"$pull": {array: {field: {"$in": [values]}}}}` on an array of
    documents whose `field` holds plain strings or integers done as a set lookup."""
    if not _pull_by_values(existing_document, document):
        _original_apply_update(self, existing_document, spec, document, was_insert)


def _pull_by_values(existing_document: dict, update) -> bool:
    """Apply the update if it is such a $pull (True); False: anything else, for mongomock."""
    if not (isinstance(update, dict) and len(update) == 1 and isinstance(update.get("$pull"), dict)
            and len(update["$pull"]) == 1):
        return False
    (array, condition), = update["$pull"].items()
    if "." in array or not (isinstance(condition, dict) and len(condition) == 1):
        return False
    (field, test), = condition.items()
    if field.startswith("$") or "." in field or not (isinstance(test, dict) and list(test) == ["$in"]) \
            or not isinstance(test["$in"], list) or any(type(v) not in INDEXABLE for v in test["$in"]):
        return False
    elements = existing_document.get(array)
    if not isinstance(elements, list):
        return elements is None  # nothing to pull from (mongomock does nothing either)
    if any(type(e) is not dict or type(e.get(field)) not in INDEXABLE for e in elements):
        return False
    wanted = set(test["$in"])
    elements[:] = [e for e in elements if e[field] not in wanted]
    return True


def _named_fields(update) -> dict[str, int] | None:
    """The top-level fields an update document changes, each with what a copy of the field made
    before the update needs (SHARE, SHALLOW, DEEP); None when that is not known (a replacement
    document, a pipeline, another operator)."""
    if not isinstance(update, dict) or not update:
        return None
    names: dict[str, int] = {}
    for operator, fields in update.items():
        if operator not in _REPLACING and operator not in _IN_PLACE_ARRAY or not isinstance(fields, dict):
            return None
        paths = [str(key) for key in fields]
        if operator == "$rename":
            paths += [str(target) for target in fields.values()]
        for path in paths:
            parts = path.split(".")
            if any(part.startswith("$") for part in parts):
                need = DEEP  # positional paths: mongomock looks for the element
            elif operator in _REPLACING:
                need = SHARE if len(parts) == 1 else SHALLOW if len(parts) == 2 else DEEP
            else:
                need = SHALLOW if len(parts) == 1 else DEEP
            names[parts[0]] = max(need, names.get(parts[0], SHARE))
    return names


def deepcopy(value, memo=None):
    """mongomock's deep copy; of the document an update is about to change, only what the
    update can change of it (mongomock keeps that copy to compare with, and to roll back to)."""
    store, fields = getattr(_updating, "now", None) or (None, None)
    if fields is not None and type(value) is dict and "_id" not in fields and _is_stored(store, value):
        return {k: _kept(v, fields[k]) if k in fields else v for k, v in value.items()}
    return copy_plain(value, memo)


def _kept(value, need: int):
    if need == SHARE or type(value) in IMMUTABLE:
        return value
    if need == SHALLOW and type(value) in (dict, list):
        return value.copy()
    return copy_plain(value)


def _is_stored(store, document: dict) -> bool:
    try:
        return store._documents.get(document.get("_id")) is document
    except TypeError:  # an unhashable _id
        return False


def install() -> None:
    mongomock_collection.Collection.find_one_and_update = _find_one_and_update
    mongomock_collection.Collection._update = _update
    mongomock_collection.Collection._apply_update_document = _apply_update_document
