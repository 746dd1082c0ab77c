"""Make mongomock (the embedded default's MongoDB) cost what real MongoDB would, not more.

Three things real MongoDB does natively that mongomock does in slow Python, or not at all:
- a filter that pins `_id` is answered from the primary-key index, not by testing every
  document (mongomock scans the whole collection for each lookup);
- documents are BSON: plain dicts, lists and immutable scalars. mongomock copies them with
  `copy.deepcopy`, whose generality (memo table, dispatch, reduce protocol) costs several
  times a copy that knows that shape.
- a read sees a whole document, never one a concurrent write is changing.
Results are unchanged: the whole filter is still applied to the indexed document, and any
value that is not plain BSON is copied by `copy.deepcopy` as before. Embedded default only
(see connection.connect).
"""
import copy
import functools
import types

from mongomock import collection as mongomock_collection
from mongomock.filtering import filter_applies

from app.domain.plain import copy_plain

_original_iter_documents = mongomock_collection.Collection._iter_documents


def _iter_documents(self, filter):
    key = filter.get("_id") if isinstance(filter, dict) else None
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        if key not in self._store:
            return iter(())
        document = self._store[key]
        return iter((document,) if filter_applies(filter, document) else ())
    return _original_iter_documents(self, filter)


def _locked(method, lock):
    @functools.wraps(method)
    def call(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)
    call.locked = True
    return call


def install(lock) -> None:
    """`lock`: the one writes take (connection.atomic). mongomock changes a stored document in
    place, so a read copying it meanwhile could see it half-changed ("dictionary changed size
    during iteration"); reads take the lock too, as MongoDB's own reads see whole documents."""
    mongomock_collection.Collection._iter_documents = _iter_documents
    # mongomock's collection module reaches copying through its `copy` name only.
    mongomock_collection.copy = types.SimpleNamespace(deepcopy=copy_plain, copy=copy.copy)
    for owner, name in ((mongomock_collection.Cursor, "_compute_results"),
                        (mongomock_collection.Collection, "count_documents"),
                        (mongomock_collection.Collection, "aggregate")):
        if not getattr(getattr(owner, name), "locked", False):
            setattr(owner, name, _locked(getattr(owner, name), lock))
