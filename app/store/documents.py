"""The collections. Orders carry their process state and outbox inside one document."""
from mongoengine import (DateTimeField, DictField, Document, IntField, ListField, StringField,
                         BooleanField)


class Order(Document):
    meta = {"collection": "orders", "strict": False, "indexes": [
        ("company", "-created_at"), "status", "next_wake_at",
        # "<company>:<Idempotency-Key>", absent without a key (sparse: only keyed orders count)
        {"fields": ["idempotency_scope"], "unique": True, "sparse": True},
        "open_tasks.id", "incidents.id",
        "open_tasks.lane", "incidents.status",  # the back-office queue, open incidents (scraped)
        ("model.name", "model.version", "status"),     # orders per model version
        "history.at",                     # the dashboard's recent failures and retries
    ]}
    id = StringField(primary_key=True)
    company = StringField(required=True)
    project = DictField()                 # snapshot of the project at creation
    created_by = StringField()
    created_at = DateTimeField()
    updated_at = DateTimeField()
    idempotency_scope = StringField()
    data = DictField()                    # the validated request
    status = StringField()
    version = IntField(default=0)         # optimistic concurrency of process state
    model = DictField()                   # {name, version, spec_hash}
    process = StringField()               # engine state without spec, as JSON (cheap to copy)
    steps = ListField(DictField())
    results = DictField()                 # facts from the bank: client_id, escrow_account, ...
    open_tasks = ListField(DictField())
    claims = DictField()                  # task id -> user id (written by the API only)
    incidents = ListField(DictField())
    next_wake_at = DateTimeField()
    outbox = ListField(DictField())       # pending events, removed by the relay once published
    applied_commands = ListField(StringField())
    history = ListField(DictField())      # newest entries; older ones in order_history
    cancel_requested = DictField()


class HistoryEntry(Document):
    """History paged out of the order document, so the order stays small."""
    meta = {"collection": "order_history", "indexes": [("order_id", "at"), ("action", "at")]}
    id = StringField(primary_key=True)
    order_id = StringField(required=True)
    at = DateTimeField()
    actor = StringField()
    action = StringField()
    detail = DictField()


class ProcessModel(Document):
    """A deployed, versioned process model; instances point at it by spec hash."""
    meta = {"collection": "process_models", "indexes": [("name", "-version"), "spec_hash"]}
    id = StringField(primary_key=True)    # "<name>:<version>"
    name = StringField(required=True)
    version = IntField(required=True)
    spec_hash = StringField(required=True)
    files = DictField()                   # file name -> BPMN XML
    spec_json = StringField()             # JSON: Mongo keys may not hold every spec name
    deployed_at = DateTimeField()
    deployed_by = StringField()
    note = StringField()                  # the deployer's words on what changed


class Project(Document):
    meta = {"collection": "projects"}
    id = StringField(primary_key=True)
    name = StringField(required=True)
    developer = StringField(required=True)          # company id
    developer_name = StringField()
    developer_account = StringField(required=True)
    bik = StringField()
    open_for_agreements = BooleanField(default=True)


class User(Document):
    meta = {"collection": "users", "indexes": ["token_hash", {"fields": ["username"], "unique": True}]}
    id = StringField(primary_key=True)
    username = StringField(required=True)  # what a person signs in with
    name = StringField()
    role = StringField(required=True)     # manager | backoffice | analyst | admin
    company = StringField()               # managers only
    password_hash = StringField()         # argon2id (web sign-in); none: no web sign-in
    token_hash = StringField()            # sha256 of an API token; none: no API token
    active = BooleanField(default=True)


class SignInFailures(Document):
    """Failed sign-ins per key (a user name, a client address), for throttling."""
    meta = {"collection": "sign_in_failures"}
    id = StringField(primary_key=True)    # "user:<name>" | "addr:<ip>"
    count = IntField(default=0)
    first_at = DateTimeField()
    locked_until = DateTimeField()
