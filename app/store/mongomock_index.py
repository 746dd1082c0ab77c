"""Give mongomock the one index every MongoDB collection has: the primary key.

mongomock evaluates every filter against every document, so a lookup by `_id` costs O(number of
documents), while real MongoDB answers it from the `_id` index. With this patch a filter that
pins `_id` to one value reads that document directly; the whole filter is still applied to it,
so results are the same. Used on the embedded default only (see connection.connect).
"""
from mongomock import collection as mongomock_collection
from mongomock.filtering import filter_applies

_original = mongomock_collection.Collection._iter_documents


def _iter_documents(self, filter):
    key = filter.get("_id") if isinstance(filter, dict) else None
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        if key not in self._store:
            return iter(())
        document = self._store[key]
        return iter((document,) if filter_applies(filter, document) else ())
    return _original(self, filter)


def install() -> None:
    mongomock_collection.Collection._iter_documents = _iter_documents
