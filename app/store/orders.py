"""Order repository: atomic single-document writes, the outbox, history paging."""
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.domain.clock import iso, utcnow
from app.domain.ids import new_id
from app.messaging import topics
from app.store.connection import atomic
from app.store.documents import HistoryEntry, Order


class ConcurrencyError(Exception):
    """Someone else saved the order first: reload and redo."""


class DuplicateOrder(Exception):
    def __init__(self, order_id: str):
        super().__init__(order_id)
        self.order_id = order_id


def history_entry(actor: str, action: str, at: datetime | None = None, **detail) -> dict:
    """One line of an order's audit trail; detail values are kept JSON-plain."""
    detail = {k: iso(v) if isinstance(v, datetime) else v for k, v in detail.items()}
    return {"id": new_id("h"), "at": at or utcnow(), "actor": actor, "action": action,
            "detail": detail}


def context_marker() -> dict:
    """An outbox entry that makes the relay publish the order's current context record."""
    return {"id": new_id("ctx"), "topic": topics.CONTEXT}


def idempotency_scope(company: str, key: str) -> str:
    return f"{company}:{key}"


def _paged_entry(row: dict) -> dict:
    """A history entry as it is inline, from its order_history row."""
    return {"id": row["_id"], "at": row.get("at"), "actor": row.get("actor"), "action": row.get("action"),
            "detail": row.get("detail") or {}}


def _coll():
    return Order._get_collection()


class OrderRepository:
    def __init__(self, history_cap: int = 20, on_write=None):
        self.history_cap = history_cap
        # Hint for the relay (queued: the outbox events the write added) and the scheduler
        # (next_wake_at).
        self.on_write = on_write or (lambda order_id, doc, queued: None)
        # Told every history entry once committed (metrics and log events: app.observability.saga).
        self.on_history = lambda order_id, entries, doc: None

    # --- reads -------------------------------------------------------------------------
    def get(self, order_id: str) -> dict | None:
        return _coll().find_one({"_id": order_id})

    def find(self, query: dict, sort=(("created_at", -1),), skip=0, limit=0, projection=None):
        cursor = _coll().find(query, projection).sort(list(sort)).skip(skip)
        return list(cursor.limit(limit) if limit else cursor)

    def count(self, query: dict) -> int:
        return _coll().count_documents(query)

    def cancel_request(self, order_id: str) -> dict:
        """The order's accepted cancel ({} if none): one small read by id."""
        doc = _coll().find_one({"_id": order_id}, {"cancel_requested": 1})
        return (doc or {}).get("cancel_requested") or {}

    def count_by(self, field: str, query: dict | None = None) -> dict[str, int]:
        """How many orders (matching `query`) have each value of `field`."""
        rows = self.aggregate([{"$match": query or {}}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}])
        return {row["_id"]: row["n"] for row in rows if row["_id"] is not None}

    def aggregate(self, pipeline: list[dict]) -> list[dict]:
        return list(_coll().aggregate(pipeline))

    def history_since(self, actions: list[str], since: datetime) -> list[dict]:
        """History entries of these actions at or after `since`, of every order, each once
        ({order_id, id, at, actor, action, detail}). Inline entries are read first: one paged
        out meanwhile is then found in order_history too, never missed."""
        recent = {"action": {"$in": list(actions)}, "at": {"$gte": since}}
        inline = self.aggregate([
            {"$match": {"history": {"$elemMatch": recent}}},
            {"$unwind": "$history"},
            {"$match": {f"history.{k}": v for k, v in recent.items()}},
            {"$project": {"history": 1}}])
        found = {row["history"]["id"]: {**row["history"], "order_id": row["_id"]} for row in inline}
        for r in HistoryEntry._get_collection().find(recent):
            found.setdefault(r["_id"], {**_paged_entry(r), "order_id": r["order_id"]})
        return list(found.values())

    def by_idempotency_key(self, company: str, key: str) -> dict | None:
        return _coll().find_one({"idempotency_scope": idempotency_scope(company, key)})

    def older_history(self, order: dict) -> list[dict]:
        """Entries paged out of the order document, oldest first. History only grows, so while
        the inline part is under the cap nothing was paged out (and nothing is read)."""
        if len(order.get("history") or []) < self.history_cap:
            return []
        rows = HistoryEntry._get_collection().find({"order_id": order["_id"]}).sort("at", 1)
        return [_paged_entry(r) for r in rows]

    def full_history(self, order: dict) -> list[dict]:
        """Paged-out entries, then the inline ones; an entry caught in both places counts once."""
        inline = list(order.get("history") or [])
        inline_ids = {e.get("id") for e in inline}
        return [e for e in self.older_history(order) if e["id"] not in inline_ids] + inline

    # --- writes ------------------------------------------------------------------------
    def create(self, doc: dict) -> dict:
        """Insert a new order with its first outbox events; DuplicateOrder on a repeated key."""
        with atomic():
            if doc.get("idempotency_scope"):
                existing = _coll().find_one({"idempotency_scope": doc["idempotency_scope"]})
                if existing:
                    raise DuplicateOrder(existing["_id"])
            try:
                _coll().insert_one(doc)
            except DuplicateKeyError:  # another process won the race with the same key
                raise DuplicateOrder(_coll().find_one({"idempotency_scope": doc["idempotency_scope"]})["_id"])
        self.on_write(doc["_id"], doc, doc["outbox"])
        self.on_history(doc["_id"], doc.get("history", ()), doc)
        return doc

    def save(self, order_id: str, expected_version: int, changes: dict, projection: dict,
             outbox: list[dict] = (), history: list[dict] = ()) -> dict:
        """Commit process changes, new outbox events and history in one conditional update.

        Returns the `projection` of the saved document: what the update found there, with what
        it wrote over it (the version check makes it the only write to those fields in between;
        API-side writes such as a cancel request do not bump the version and are read here).
        """
        update = {"$set": {**changes, "updated_at": utcnow()}, "$inc": {"version": 1}}
        if outbox:
            update["$push"] = {"outbox": {"$each": list(outbox)}}
        if history:
            update.setdefault("$push", {})["history"] = {"$each": list(history)}
        with atomic():
            before = _coll().find_one_and_update({"_id": order_id, "version": expected_version}, update,
                                                 projection={**projection, "history.id": 1})
        if before is None:
            raise ConcurrencyError(order_id)
        if len(before.pop("history", ())) + len(history) > self.history_cap:
            self._page_out_history(order_id)
        doc = {**before, **{k: v for k, v in update["$set"].items() if k in projection},
               "version": expected_version + 1}
        self.on_write(order_id, {**changes, **doc}, list(outbox))
        self.on_history(order_id, history, doc)
        return doc

    def append(self, order_id: str, outbox: list[dict] = (), history: list[dict] = (),
               set_fields: dict | None = None, condition: dict | None = None,
               push: dict | None = None) -> dict | None:
        """API-side write that does not touch process state: queue a command, note history.

        It does not bump `version`, so it never conflicts with the worker's saves.
        Returns the updated order, or None when `condition` did not match.
        """
        # The context topic shows this change too (same version: the later record wins).
        outbox = [*outbox, context_marker()]
        update: dict = {"$push": {"outbox": {"$each": outbox}}}
        if history:
            update["$push"]["history"] = {"$each": list(history)}
        update["$push"].update(push or {})
        if set_fields:
            update["$set"] = set_fields
        with atomic():
            doc = _coll().find_one_and_update({"_id": order_id, **(condition or {})}, update,
                                              return_document=ReturnDocument.AFTER)
        if doc is not None:
            if len(doc.get("history", [])) > self.history_cap:
                self._page_out_history(order_id)
            self.on_write(order_id, doc, outbox)
            self.on_history(order_id, history, doc)
        return doc

    def restore(self, doc: dict) -> None:
        """Put back a whole order (rebuild from the context topic)."""
        with atomic():
            _coll().replace_one({"_id": doc["_id"]}, doc, upsert=True)
        self.on_write(doc["_id"], doc, list(doc.get("outbox") or []))

    def update_fields(self, query: dict, update: dict) -> dict | None:
        """A small conditional update (task claims); no version bump; the context shows it."""
        update = {**update, "$push": {"outbox": context_marker()}}
        with atomic():
            doc = _coll().find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
        if doc is not None:
            self.on_write(doc["_id"], doc, [update["$push"]["outbox"]])
        return doc

    def remove_outbox(self, order_id: str, event_ids: list[str]) -> None:
        with atomic():
            _coll().update_one({"_id": order_id}, {"$pull": {"outbox": {"id": {"$in": event_ids}}}})

    def outbox_of(self, order_id: str) -> dict | None:
        return _coll().find_one({"_id": order_id}, {"outbox": 1, "version": 1})

    def outbox_backlog(self) -> int:
        """Events committed in orders and not yet published (the relay's scan, counted)."""
        return sum(len(o["outbox"]) for o in _coll().find({"outbox.0": {"$exists": True}}, {"outbox.id": 1}))

    def with_pending_outbox(self, limit: int = 500) -> list[dict]:
        return list(_coll().find({"outbox.0": {"$exists": True}}, {"outbox": 1, "version": 1}).limit(limit))

    def due_for_wakeup(self, now: datetime, limit: int = 500) -> list[dict]:
        return list(_coll().find({"next_wake_at": {"$ne": None, "$lte": now}},
                                 {"next_wake_at": 1}).limit(limit))

    # --- history paging ----------------------------------------------------------------
    def _page_out_history(self, order_id: str) -> None:
        """Move the oldest inline entries to order_history (idempotent), then trim inline."""
        history = _coll().find_one({"_id": order_id}, {"history": 1})["history"]
        entries = history[: len(history) - self.history_cap]
        coll = HistoryEntry._get_collection()
        for e in entries:
            coll.replace_one({"_id": e["id"]}, {"_id": e["id"], "order_id": order_id, "at": e["at"],
                                                "actor": e["actor"], "action": e["action"],
                                                "detail": e.get("detail", {})}, upsert=True)
        ids = [e["id"] for e in entries]
        with atomic():
            _coll().update_one({"_id": order_id}, {"$pull": {"history": {"id": {"$in": ids}}}})
