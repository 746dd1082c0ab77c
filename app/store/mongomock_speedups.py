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
- it parses the same version strings on every read and write, to compare them with pymongo's;
- a read sees a whole document, never one a concurrent write is changing (mongomock changes a
  stored document in place, so a read copying it meanwhile could see it half-changed).
Results are unchanged: the whole filter is still applied to the indexed document, and any
value that is not plain BSON goes to mongomock's own code as before. Embedded default only
(see connection.connect).
"""
import copy
import functools
import types

from mongomock import collection as mongomock_collection
from mongomock import helpers as mongomock_helpers
from packaging import version

from app.domain.plain import IMMUTABLE
from app.store import mongomock_lookup, mongomock_updates

_original_copy_field = mongomock_collection._copy_field
_original_patch_datetimes = mongomock_helpers.patch_datetime_awareness_in_document
_NO_DATETIME = frozenset({str, int, float, bool, type(None), bytes})


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


def _locked(method, lock):
    @functools.wraps(method)
    def call(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)
    call.locked = True
    return call


def install(lock=None) -> None:
    """`lock`: the one writes take (connection.atomic); reads take it too, as MongoDB's own
    reads see whole documents (None, for the speed-ups' own tests: reads left as they are)."""
    mongomock_lookup.install()
    mongomock_updates.install()
    # mongomock's collection module reaches these through its module names only.
    mongomock_collection.copy = types.SimpleNamespace(deepcopy=mongomock_updates.deepcopy, copy=copy.copy)
    mongomock_collection._copy_field = _copy_field
    mongomock_collection.version = types.SimpleNamespace(parse=functools.lru_cache(maxsize=None)(version.parse))
    mongomock_helpers.patch_datetime_awareness_in_document = _patch_datetimes
    if lock is None:
        return
    for owner, name in ((mongomock_collection.Cursor, "_compute_results"),
                        (mongomock_collection.Collection, "count_documents"),
                        (mongomock_collection.Collection, "aggregate")):
        if not getattr(getattr(owner, name), "locked", False):
            setattr(owner, name, _locked(getattr(owner, name), lock))
