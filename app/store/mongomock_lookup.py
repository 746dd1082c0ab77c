"""mongomock lookups as an index would answer them (see app.store.mongomock_speedups):
by `_id` from the store's own key, with plain equalities decided without the filter engine,
and equality on a single-field unique index from a map of value -> documents, built on first
use and kept by the store's writes (an in-place update drops the maps of the fields it names)."""
import weakref

from mongomock import collection as mongomock_collection
from mongomock.filtering import filter_applies
from mongomock.store import CollectionStore

INDEXABLE = (str, int)  # values looked up by index; a field holding anything else is not indexed
MISSING = object()
_original_iter_documents = mongomock_collection.Collection._iter_documents
_indexed: "weakref.WeakKeyDictionary[CollectionStore, dict[str, dict]]" = weakref.WeakKeyDictionary()
_original_setitem = CollectionStore.__setitem__
_original_delitem = CollectionStore.__delitem__
_original_drop = CollectionStore.drop


def _iter_documents(self, filter):
    key = filter.get("_id") if isinstance(filter, dict) else None
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        if key not in self._store:
            return iter(())
        document = self._store[key]
        matched = plain_match(filter, document)
        if matched is None:
            matched = filter_applies(filter, document)
        return iter((document,) if matched else ())
    if isinstance(filter, dict) and len(filter) == 1:
        (field, value), = filter.items()
        if type(value) in INDEXABLE and field in unique_fields(self._store):
            store = self._store
            store._remove_expired_documents()
            candidates = [store._documents.get(k) for k in tuple(_values(store, field).get(value, ()))]
            return iter([d for d in candidates if d is not None and filter_applies(filter, d)])
    return _original_iter_documents(self, filter)


def plain_match(filter: dict, document: dict) -> bool | None:
    """Whether a document matches a filter of top-level equalities on strings and integers
    holding values of the same type (`{_id, version}`: the worker's conditional save); None
    for any other filter or value (an array, a number of another type...): mongomock decides."""
    for field, wanted in filter.items():
        have = document.get(field, MISSING)
        if type(wanted) not in INDEXABLE or type(have) is not type(wanted):
            return None
        if have != wanted:
            return False
    return True


def unique_fields(store) -> set[str]:
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
    if type(value) in INDEXABLE:
        values.setdefault(value, set()).add(key)


def _unindex(values: dict, document: dict, field: str, key) -> None:
    keys = values.get(document.get(field)) if type(document.get(field)) in INDEXABLE else None
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


def forget_changed(store, fields) -> None:
    """An update changes documents in place: the maps of the fields it names (of every field
    when that is not known) are dropped, to be rebuilt on their next use."""
    maps = _indexed.get(store)
    if maps:
        for field in list(maps):
            if fields is None or field in fields:
                maps.pop(field, None)


def install() -> None:
    mongomock_collection.Collection._iter_documents = _iter_documents
    CollectionStore.__setitem__, CollectionStore.__delitem__ = _store_set, _store_del
    CollectionStore.drop = _store_drop
