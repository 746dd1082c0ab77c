"""The embedded store's speed-ups give what mongomock's own code gives, only sooner."""
import copy
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

import mongomock
import mongomock.store
import pytest
from bson import ObjectId

from app.store import mongomock_lookup as lookup
from app.store import mongomock_speedups as speedups
from app.store import mongomock_updates as updates

MSK = timezone(timedelta(hours=3))
VALUES = [
    {"_id": "ord_1", "at": datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=MSK), "n": 1, "x": 1.5,
     "ok": True, "none": None, "raw": b"\x00\x01", "oid": ObjectId("65f1f1f1f1f1f1f1f1f1f1f1"),
     "steps": [{"state": "completed", "at": datetime(2026, 5, 1, 9, 0, 0, 999999)}, [1, (2, 3)]],
     "ordered": OrderedDict([("b", 1), ("a", datetime(2026, 1, 1, tzinfo=timezone.utc))])},
    [datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=timezone.utc), ("t", {"k": "v"})],
    "text", 42, None,
]


@pytest.mark.parametrize("value", VALUES)
def test_datetimes_are_normalised_as_mongomock_does(value):
    ours, theirs = speedups._patch_datetimes(value), speedups._original_patch_datetimes(value)
    assert ours == theirs
    assert _types(ours) == _types(theirs)


@pytest.mark.parametrize("value", VALUES)
def test_copies_are_mongomocks_copies_and_independent(value):
    ours, theirs = speedups._copy_field(value, dict), speedups._original_copy_field(value, dict)
    assert ours == theirs
    assert _types(ours) == _types(theirs)
    if isinstance(ours, dict):
        ours["steps"][0]["state"] = "changed"
        assert value["steps"][0]["state"] == "completed"


def test_a_collection_answers_the_same_with_and_without_them():
    def scenario():
        coll = mongomock.MongoClient().db.orders
        coll.insert_one({"_id": "a", "v": 1, "h": [{"id": 1}], "at": datetime(2026, 5, 1, 12, 0, 0, 5555, tzinfo=MSK)})
        coll.insert_one({"_id": "b", "v": 1, "h": []})
        before = coll.find_one_and_update({"_id": "a", "v": 1}, {"$set": {"s": "x"}, "$inc": {"v": 1},
                                                                  "$push": {"h": {"$each": [{"id": 2}]}}},
                                          projection={"v": 1, "h.id": 1})
        missed = coll.find_one_and_update({"_id": "a", "v": 1}, {"$inc": {"v": 1}})
        pulled = coll.update_one({"_id": "a"}, {"$pull": {"h": {"id": {"$in": [1]}}}}).modified_count
        unchanged = coll.update_one({"_id": "b"}, {"$set": {"v": 1}}).modified_count
        coll.create_index("k", unique=True, sparse=True)
        coll.update_one({"_id": "b"}, {"$set": {"k": "taken"}})
        try:  # a unique index refuses it: the document is rolled back, whole
            coll.update_one({"_id": "a"}, {"$set": {"k": "taken", "s": "y"}, "$push": {"h": 3}})
        except mongomock.DuplicateKeyError:
            pass
        coll.insert_one({"_id": "c", "steps": [{"s": 1}, {"s": 2}], "r": {"a": 1}, "deep": {"x": {"y": 0}},
                         "n": {"list": [1]}, "tags": ["a", "b"]})
        nested = coll.update_one({"_id": "c"}, {"$set": {"steps.1": {"s": 3}, "r.a": 5, "deep.x.y": 1},
                                                "$push": {"n.list": 4}, "$pull": {"tags": "a"}}).modified_count
        same = coll.update_one({"_id": "c"}, {"$set": {"steps.0": {"s": 1}, "r.a": 5}}).modified_count
        try:  # refused: every change of this update is undone, the nested ones too
            coll.update_one({"_id": "c"}, {"$set": {"k": "taken", "steps.0": {"s": 9}, "r.b": 2, "deep.x.y": 7},
                                           "$push": {"n.list": 5, "tags": "z"}, "$inc": {"v": 1}})
        except mongomock.DuplicateKeyError:
            pass
        renamed = coll.update_one({"_id": "a"}, {"$rename": {"s": "t"}}).modified_count
        replaced = coll.replace_one({"_id": "b"}, {"v": 9}).modified_count
        return (before, missed, pulled, unchanged, renamed, replaced,
                list(coll.find({}, {"h": 1, "at": 1, "v": 1, "k": 1, "s": 1, "t": 1})), coll.find_one({"v": 2}),
                nested, same, coll.find_one({"_id": "c"}))

    speedups.install()  # as connecting to a mongomock:// URI does
    with_speedups = scenario()
    originals = (mongomock.collection.Collection._iter_documents, mongomock.collection.Collection._update,
                 mongomock.collection._copy_field,
                 mongomock.collection.copy, mongomock.collection.version,
                 mongomock.helpers.patch_datetime_awareness_in_document)
    try:
        mongomock.collection.Collection._iter_documents = lookup._original_iter_documents
        mongomock.collection.Collection._update = updates._original_update
        mongomock.collection._copy_field = speedups._original_copy_field
        mongomock.helpers.patch_datetime_awareness_in_document = speedups._original_patch_datetimes
        import copy

        from packaging import version
        mongomock.collection.copy, mongomock.collection.version = copy, version
        without = scenario()
    finally:
        (mongomock.collection.Collection._iter_documents, mongomock.collection.Collection._update,
         mongomock.collection._copy_field,
         mongomock.collection.copy, mongomock.collection.version,
         mongomock.helpers.patch_datetime_awareness_in_document) = originals
    assert with_speedups == without
    assert with_speedups[2:6] == (1, 0, 1, 1) and with_speedups[8:10] == (1, 0)  # modified or not
    assert with_speedups[10] == {"_id": "c", "steps": [{"s": 1}, {"s": 3}], "r": {"a": 5}, "deep": {"x": {"y": 1}},
                                 "n": {"list": [1, 4]}, "tags": ["b"]}
    assert with_speedups[6][0]["h"] == [{"id": 2}] and "k" not in with_speedups[6][0]  # rolled back


def test_a_unique_index_answers_like_a_scan():
    def scenario():
        coll = mongomock.MongoClient().db.orders
        coll.create_index("scope", unique=True, sparse=True)
        coll.insert_many([{"_id": f"o{i}", "scope": f"k{i}"} for i in range(5)] + [{"_id": "none"}])
        seen = [coll.find_one({"scope": "k3"}), coll.find_one({"scope": "k9"}), coll.find_one({"scope": 3})]
        try:
            coll.insert_one({"_id": "dup", "scope": "k1"})
        except mongomock.DuplicateKeyError:
            seen.append("refused")
        coll.update_one({"_id": "o2"}, {"$set": {"scope": "k7"}})
        seen.append(coll.find_one({"scope": "k7"}))  # the index in use again before the next update
        try:
            coll.update_one({"_id": "o3"}, {"$set": {"scope": "k7"}})
        except mongomock.DuplicateKeyError:
            seen.append("refused")
        coll.delete_one({"_id": "o4"})
        coll.replace_one({"_id": "o0"}, {"scope": "k8"})
        coll.update_one({"_id": "new"}, {"$set": {"scope": "k4"}}, upsert=True)
        seen += [coll.find_one({"scope": k}) for k in ("k2", "k7", "k3", "k4", "k0", "k8")]
        coll.drop()
        coll.insert_one({"_id": "again", "scope": "k7"})
        seen.append(list(coll.find({"scope": "k7"})))
        return seen

    speedups.install()
    with_speedups = scenario()
    store = mongomock.store.CollectionStore
    originals = (mongomock.collection.Collection._iter_documents, mongomock.collection.Collection._update,
                 store.__setitem__, store.__delitem__, store.drop)
    try:
        mongomock.collection.Collection._iter_documents = lookup._original_iter_documents
        mongomock.collection.Collection._update = updates._original_update
        store.__setitem__, store.__delitem__ = lookup._original_setitem, lookup._original_delitem
        store.drop = lookup._original_drop
        without = scenario()
    finally:
        (mongomock.collection.Collection._iter_documents, mongomock.collection.Collection._update,
         store.__setitem__, store.__delitem__, store.drop) = originals
    assert with_speedups == without
    assert with_speedups[3] == with_speedups[5] == "refused"
    assert with_speedups[0] == {"_id": "o3", "scope": "k3"} and with_speedups[7]["_id"] == "o2"


@pytest.mark.parametrize("document, pull", [
    ({"outbox": [{"id": "e1", "v": 1}, {"id": "e2"}, {"id": "e3"}]}, {"outbox": {"id": {"$in": ["e1", "e3"]}}}),
    ({"outbox": [{"id": 1}, {"id": "1"}, {"id": 2}]}, {"outbox": {"id": {"$in": [1]}}}),
    ({"outbox": [{"id": "e1"}, {"other": 1}, "text"]}, {"outbox": {"id": {"$in": ["e1"]}}}),
    ({"outbox": [{"id": ["e1", "e2"]}, {"id": "e2"}]}, {"outbox": {"id": {"$in": ["e2"]}}}),
    ({"outbox": "not a list"}, {"outbox": {"id": {"$in": ["e1"]}}}),
    ({}, {"outbox": {"id": {"$in": ["e1"]}}}),
    ({"a": {"outbox": [{"id": "e1"}]}}, {"a.outbox": {"id": {"$in": ["e1"]}}}),
    ({"outbox": [{"id": True}, {"id": 1}]}, {"outbox": {"id": {"$in": [True]}}}),
])
def test_pulling_by_values_removes_what_mongomock_removes(document, pull):
    speedups.install()

    def pulled(apply):
        coll = mongomock.MongoClient().db.orders
        coll.insert_one({"_id": "o", **document})
        original = mongomock.collection.Collection._apply_update_document
        mongomock.collection.Collection._apply_update_document = apply
        try:
            modified = coll.update_one({"_id": "o"}, {"$pull": pull}).modified_count
        finally:
            mongomock.collection.Collection._apply_update_document = original
        return modified, coll.find_one({"_id": "o"})

    assert pulled(updates._apply_update_document) == pulled(updates._original_apply_update)


def _order():
    return {"_id": "ord_1", "version": 3, "status": "PROCESSING", "process": "z1:abc",
            "steps": [{"step": "a", "at": datetime(2026, 5, 1, 9, 0, 0, 999999, tzinfo=MSK)}, {"step": "b"}],
            "results": {"x": 1}, "history": [{"id": "h1"}], "outbox": [], "n": 1.5, "text": "t",
            "scope": "dev-1:k1"}


def _saves(rng):
    """Updates of the worker's save shape, and near misses mongomock must handle itself."""
    at = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    sets = [{"status": "AWAITING_SIGNATURE"}, {"steps.1": {"step": "b", "done": at}}, {"steps.4": {"late": 1}},
            {"steps.1": {"step": "b2"}, "steps.2": {"step": "c"}, "process": "z1:x"}, {"steps": [], "steps.0": 1},
            {"results": {"x": 2, "when": at}}, {"updated_at": at, "process": "z1:def"},
            {"open_tasks": [{"id": "t1", "at": at}]}, {"text.0": "x"}, {"results.x": 3}, {"scope": "dev-1:k2"},
            {"_id": "other"}, {"$bad": 1}, {"steps.-1": 1}, {"bad": object()}]
    pushes = [{"history": {"$each": [{"id": "h2", "at": at}]}}, {"outbox": {"$each": []}}, {"outbox": {"id": "e"}},
              {"history": {"$each": [{"id": "h3"}], "$slice": -1}}, {"text": {"$each": [1]}}, {"fresh": 5}]
    incs = [{"version": 1}, {"n": 2}, {"missing": 1}, {"text": 1}, {"version": True}]
    update = {}
    for operator, choices in (("$set", sets), ("$push", pushes), ("$inc", incs)):
        if rng.random() < 0.7:
            update[operator] = dict(rng.choice(choices))
    return update or {"$inc": {"version": 1}}


def test_a_save_changes_what_mongomock_changes():
    import random
    speedups.install()
    rng = random.Random(7)
    for round_ in range(300):
        update, projection = _saves(rng), rng.choice([{"version": 1, "cancel_requested": 1, "history.id": 1},
                                                      None, {"steps": 0}])
        version = rng.choice([3, 3, 3, 4])
        outcomes = []
        for apply in (updates._find_one_and_update, updates._original_find_one_and_update):
            coll = mongomock.MongoClient().db.orders
            coll.create_index("scope", unique=True, sparse=True)
            coll.insert_one(_order())
            coll.insert_one({"_id": "ord_2", "version": 1, "scope": "dev-1:k2"})
            try:
                returned = apply(coll, {"_id": "ord_1", "version": version}, copy.deepcopy(update),
                                 projection=copy.deepcopy(projection))
                outcomes.append((returned, coll.find_one({"_id": "ord_1"})))
            except Exception as error:  # the same refusal, and nothing applied
                outcomes.append((type(error).__name__, coll.find_one({"_id": "ord_1"})))
        assert outcomes[0] == outcomes[1], (round_, update)
    assert updates._find_one_and_update(mongomock.MongoClient().db.x, {"_id": "none"}, {"$set": {"a": 1}}) is None


def _types(value):
    if isinstance(value, dict):
        return type(value), {k: _types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value), [_types(v) for v in value]
    return type(value)
