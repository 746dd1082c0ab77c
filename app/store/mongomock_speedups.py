"""Make mongomock (the embedded default's MongoDB) cost what real MongoDB would, not more.

Things real MongoDB does natively that mongomock does in slow Python:
- a filter that pins `_id` is answered from the primary-key index, not by testing every
  document (mongomock scans the whole collection for each lookup);
- documents are BSON: plain dicts, lists and immutable scalars. mongomock copies them with
  `copy.deepcopy` (and what it hands back with `copy.copy` of every scalar), and walks every
  value written or matched to normalise its datetimes, with a generality (memo table,
  dispatch, reduce protocol, isinstance chains) that costs several times a walk that knows
  that shape;
- an update changes the fields it names, in place; mongomock first copies the whole document
  (to tell whether anything changed, and to roll back a unique-index violation) and compares
  all of it afterwards. The copy here holds only the fields the update names (the others are
  shared, and compare equal by identity);
- a unique index answers an equality on its field from the index; mongomock scans every
  document (an order created with an Idempotency-Key made each of its writes check the whole
  collection: O(orders) per save). Here a single-field unique index keeps a map from value to
  documents, built on first use and kept by the store's own writes;
- removing array elements by a field's values (`$pull: {outbox: {id: {$in: [...]}}}`: the relay
  marking events sent) runs mongomock's filter engine twice per element; here a set lookup;
- a conditional update by `_id` returning the document as it was (the worker's save: `$set`
  of fields and of array elements, `$inc`, `$push`) goes through mongomock's general update
  machinery (a cursor for the old document, a second lookup, validation of each value on its
  own, a copy to compare with); here that shape is applied directly, anything else as before;
- it parses the same version strings on every read and write, to compare them with pymongo's.
Results are unchanged: the whole filter is still applied to the indexed document, and any
value that is not plain BSON goes to mongomock's own code as before. Embedded default only
(see connection.connect).
"""
import copy
import functools
import threading
import types
import weakref

import bson
from mongomock import collection as mongomock_collection
from mongomock import helpers as mongomock_helpers
from mongomock.store import CollectionStore
from mongomock.filtering import filter_applies
from packaging import version

from app.domain.plain import IMMUTABLE, copy_plain

_original_iter_documents = mongomock_collection.Collection._iter_documents
_original_find_one_and_update = mongomock_collection.Collection.find_one_and_update
_original_update = mongomock_collection.Collection._update
_original_apply_update = mongomock_collection.Collection._apply_update_document
_original_copy_field = mongomock_collection._copy_field
_original_patch_datetimes = mongomock_helpers.patch_datetime_awareness_in_document
_NO_DATETIME = frozenset({str, int, float, bool, type(None), bytes})
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


def _iter_documents(self, filter):
    key = filter.get("_id") if isinstance(filter, dict) else None
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        if key not in self._store:
            return iter(())
        document = self._store[key]
        matched = _plain_match(filter, document)
        if matched is None:
            matched = filter_applies(filter, document)
        return iter((document,) if matched else ())
    if isinstance(filter, dict) and len(filter) == 1:
        (field, value), = filter.items()
        if type(value) in _INDEXABLE and field in _unique_fields(self._store):
            store = self._store
            store._remove_expired_documents()
            candidates = [store._documents.get(k) for k in tuple(_values(store, field).get(value, ()))]
            return iter([d for d in candidates if d is not None and filter_applies(filter, d)])
    return _original_iter_documents(self, filter)


def _find_one_and_update(self, filter, update, projection=None, sort=None, upsert=False,
                         return_document=mongomock_collection.ReturnDocument.BEFORE, **kwargs):
    """mongomock's; by `_id` and plain equalities, with a save's update (see _save_shape) and
    the document as it was to return, done here: the same checks, changes and answer."""
    store = self._store
    by_id = isinstance(filter, dict) and type(filter.get("_id")) in _INDEXABLE
    document = store._documents.get(filter["_id"]) if by_id else None
    if not (by_id and sort is None and not upsert and not kwargs and isinstance(update, dict)
            and return_document is mongomock_collection.ReturnDocument.BEFORE
            and (document is None or _save_shape(update, document, _unique_fields(store)))):
        return _original_find_one_and_update(self, filter, update, projection, sort, upsert,
                                             return_document, **kwargs)
    if document is None:
        return None
    store._remove_expired_documents()
    matched = _plain_match(filter, document) if store._documents.get(filter["_id"]) is document else None
    if matched is None:  # expired meanwhile, or not plain: mongomock decides
        return _original_find_one_and_update(self, filter, update, projection, sort, upsert,
                                             return_document, **kwargs)
    if not matched:
        return None
    values = _patch_datetimes(update)
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
            have, value = document.get(field, _MISSING), fields[name]
            if index and not (operator == "$set" and index.isdigit() and type(have) is list):
                return False
            if operator == "$inc" and not (type(value) in (int, float) and type(have) in (int, float, type(_MISSING))):
                return False
            if operator == "$push" and not (type(have) in (list, type(_MISSING)) and (
                    not isinstance(value, dict) or (list(value) == ["$each"] and isinstance(value["$each"], list)))):
                return False
    return True


def _plain_match(filter: dict, document: dict) -> bool | None:
    """Whether a document matches a filter of top-level equalities on strings and integers
    holding values of the same type (`{_id, version}`: the worker's conditional save); None
    for any other filter or value (an array, a number of another type...): mongomock decides."""
    for field, wanted in filter.items():
        have = document.get(field, _MISSING)
        if type(wanted) not in _INDEXABLE or type(have) is not type(wanted):
            return None
        if have != wanted:
            return False
    return True


_MISSING = object()


# --- unique indexes: value -> keys of the documents holding it ----------------------------------
_INDEXABLE = (str, int)  # values looked up by index; a field holding anything else is not indexed
_indexed: "weakref.WeakKeyDictionary[CollectionStore, dict[str, dict]]" = weakref.WeakKeyDictionary()
_original_setitem = CollectionStore.__setitem__
_original_delitem = CollectionStore.__delitem__
_original_drop = CollectionStore.drop


def _unique_fields(store) -> set[str]:
    return {index["key"][0][0] for index in store.indexes.values()
            if index.get("unique") and len(index["key"]) == 1 and "." not in index["key"][0][0]}


def _values(store, field: str) -> dict:
    """The map of one field of one collection, built by a scan on first use."""
    maps = _indexed.setdefault(store, {})
    values = maps.get(field)
    if values is None:
        values = {}
        for key, document in list(store._documents.items()):
            _index(values, document, field, key)
        maps[field] = values
    return values


def _index(values: dict, document: dict, field: str, key) -> None:
    value = document.get(field)
    if type(value) in _INDEXABLE:
        values.setdefault(value, set()).add(key)


def _unindex(values: dict, document: dict, field: str, key) -> None:
    keys = values.get(document.get(field)) if type(document.get(field)) in _INDEXABLE else None
    if keys is not None:
        keys.discard(key)


def _store_set(self, key, document):
    for field, values in _indexed.get(self, {}).items():
        old = self._documents.get(key)
        if old is not None:
            _unindex(values, old, field, key)
        _index(values, document, field, key)
    _original_setitem(self, key, document)


def _store_del(self, key):
    old = self._documents.get(key)
    _original_delitem(self, key)
    for field, values in _indexed.get(self, {}).items():
        if old is not None:
            _unindex(values, old, field, key)


def _store_drop(self):
    _indexed.pop(self, None)
    _original_drop(self)


def _forget_changed(store, fields) -> None:
    """An update changes documents in place: the maps of the fields it names (of every field
    when that is not known) are dropped, to be rebuilt on their next use."""
    maps = _indexed.get(store)
    if maps:
        for field in list(maps):
            if fields is None or field in fields:
                maps.pop(field, None)


def _update(self, spec, document, *args, **kwargs):
    store, fields = self._store, _named_fields(document)
    _forget_changed(store, fields)
    _updating.now = (store, fields)
    try:
        return _original_update(self, spec, document, *args, **kwargs)
    finally:
        _updating.now = None
        _forget_changed(store, fields)  # one rebuilt while the update ran may be out of date


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
            or not isinstance(test["$in"], list) or any(type(v) not in _INDEXABLE for v in test["$in"]):
        return False
    elements = existing_document.get(array)
    if not isinstance(elements, list):
        return elements is None  # nothing to pull from (mongomock does nothing either)
    if any(type(e) is not dict or type(e.get(field)) not in _INDEXABLE for e in elements):
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


def _deepcopy(value, memo=None):
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


def _copy_field(value, container):
    """mongomock's copy of a stored value into `container` dicts, for the usual plain dicts."""
    if container is not dict:
        return _original_copy_field(value, container)
    kind = type(value)
    if kind in IMMUTABLE:
        return value
    if kind is dict:
        return {k: _copy_field(v, dict) for k, v in value.items()}
    if kind is list:
        return [_copy_field(v, dict) for v in value]
    return _original_copy_field(value, container)


def _patch_datetimes(value):
    """mongomock's normalisation of a value before it is stored or matched (datetimes to naive
    UTC milliseconds): plain containers and scalars walked here, anything else by mongomock."""
    kind = type(value)
    if kind is dict:
        return {k: _patch_datetimes(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_patch_datetimes(v) for v in value]
    if kind in _NO_DATETIME:
        return value
    return _original_patch_datetimes(value)


def install() -> None:
    mongomock_collection.Collection._iter_documents = _iter_documents
    mongomock_collection.Collection.find_one_and_update = _find_one_and_update
    mongomock_collection.Collection._update = _update
    mongomock_collection.Collection._apply_update_document = _apply_update_document
    CollectionStore.__setitem__, CollectionStore.__delitem__ = _store_set, _store_del
    CollectionStore.drop = _store_drop
    # mongomock's collection module reaches these through its module names only.
    mongomock_collection.copy = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)
    mongomock_collection._copy_field = _copy_field
    mongomock_collection.version = types.SimpleNamespace(parse=functools.lru_cache(maxsize=None)(version.parse))
    mongomock_helpers.patch_datetime_awareness_in_document = _patch_datetimes
