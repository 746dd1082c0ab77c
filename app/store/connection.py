"""Connect mongoengine to real MongoDB or to mongomock; only the URI differs."""
import threading
from contextlib import nullcontext

import mongoengine
from pymongo.errors import ConnectionFailure, WTimeoutError

# The store cannot be reached (or did not confirm a write in time): worth trying again later,
# never a reason to give up on a message. (ConnectionFailure covers AutoReconnect,
# NetworkTimeout, NotPrimaryError and ServerSelectionTimeoutError.)
STORE_UNAVAILABLE = (ConnectionFailure, WTimeoutError)

_write_lock = threading.RLock()
_is_mock = False


def connect(uri: str) -> None:
    global _is_mock
    mongoengine.disconnect_all()
    _is_mock = uri.startswith("mongomock://")
    if _is_mock:
        import mongomock

        from app.store import mongomock_speedups
        mongomock_speedups.install(_write_lock)
        db = uri.split("/")[-1] or "escrow"
        mongoengine.connect(db, host="mongodb://localhost", mongo_client_class=mongomock.MongoClient,
                            tz_aware=False, uuidRepresentation="standard")
    else:
        mongoengine.connect(host=uri, tz_aware=True, uuidRepresentation="standard")


def atomic():
    """Guard a single-document read-modify-write.

    Real MongoDB applies each update atomically on its own. mongomock does not across threads
    (it copies, changes and puts back), so on the embedded default writes take one lock.
    """
    return _write_lock if _is_mock else nullcontext()


def drop_everything() -> None:
    db = mongoengine.get_db()
    for name in db.list_collection_names():
        db.drop_collection(name)
