"""An in-memory bank core that behaves like the real one, for the embedded default and tests.

Thread-safe (one lock). Mutating calls are idempotent per (operation, idempotency_key): the
first successful result is replayed; failures are not recorded, so a retry may succeed.
Fault injection is keyed by operation name, which equals the calling handler's name.
Projects, fault injection and inspection for tests live in admin.SimulatorAdmin.
"""
import collections
import copy
import itertools
import threading
from datetime import date, datetime, timedelta

from app.adapters.bank import seed
from app.adapters.bank.admin import SimulatorAdmin
from app.adapters.bank.errors import AlreadyExists, BankRefusal, NotFound, TransientBankError
from app.adapters.faults import FaultInjector
from app.domain import validation
from app.domain.clock import iso, utcnow

OP_COMPLIANCE = "compliance.check_depositor"
OP_FIND_CLIENTS = "clients.find_by_document"
OP_CREATE_CLIENT = "clients.create_depositor"
OP_DEACTIVATE_CLIENT = "clients.deactivate_depositor"
OP_MERGE_CLIENTS = "clients.merge_records"
OP_REACTIVATE_CLIENT = "clients.reactivate"   # inside a reservation, not a handler of its own
OP_RESERVE = "escrow.reserve_account"
OP_RELEASE = "escrow.release_account"
OP_BIND = "escrow.bind_to_developer"
OP_UNBIND = "escrow.unbind_from_developer"
OP_CREATE_ORDER = "orders.create_depositor_order"
OP_CANCEL_ORDER = "orders.cancel_depositor_order"

ESCROW_PREFIX = "40817810"  # balance account + currency (810 = rouble) of escrow accounts


class SimulatedBank(SimulatorAdmin):
    def __init__(self, clock=utcnow, faults: FaultInjector | None = None,
                 reservation_ttl: timedelta = timedelta(days=30), passport_grace_days: int = 0):
        self._lock = threading.RLock()
        self.passport_grace_days = passport_grace_days
        self._clock = clock
        self._faults = faults or FaultInjector()
        self.reservation_ttl = reservation_ttl
        self.reset_state()

    def reset_state(self) -> None:
        """Forget everything but the seeds (clients, projects). Faults are kept."""
        with self._lock:
            self._seq = itertools.count(100)
            self._clients = {c["client_id"]: {**copy.deepcopy(c), "status": "active",
                                              "created_for": None} for c in seed.CLIENTS}
            self._projects = {p["id"]: {**p, "closed": False} for p in seed.PROJECTS}
            self._accounts: dict[str, dict] = {}
            self._bindings: dict[str, dict] = {}
            self._orders: dict[str, dict] = {}
            self._merges: list[dict] = []
            self._results: dict[tuple[str, str], object] = {}
            self._effects: list[tuple[str, str | None]] = []
            # Secondary indexes, as a core banking system has them: lookups stay O(1) as it grows.
            self._index: dict[tuple, list[str]] = collections.defaultdict(list)
            for client in self._clients.values():
                self._index_add("passport", _passport_key(client), client["client_id"])

    def _index_add(self, kind: str, value, record_id: str) -> None:
        self._index[(kind, value)].append(record_id)

    def _indexed(self, kind: str, value, table: dict) -> list[dict]:
        return [table[i] for i in self._index.get((kind, value), ())]

    # --- plumbing -------------------------------------------------------------------------

    def _call(self, op: str, key: str | None, action):
        """Fault injection, then (for keyed calls) idempotent replay, then the action."""
        self._faults.delay(op)  # latency outside the lock
        with self._lock:
            fault = self._faults.take(op)
            if fault and not fault["after_effect"]:
                raise TransientBankError(f"injected fault in {op}")
            if key is not None and (op, key) in self._results:
                result = self._results[(op, key)]
            else:
                result = action()  # refusals and AlreadyExists propagate unrecorded
                if key is not None:
                    self._results[(op, key)] = result
        if fault:  # the effect happened, but the caller sees a timeout
            raise TransientBankError(f"injected fault in {op} (after the effect)")
        return copy.deepcopy(result)

    def _effect(self, op: str, order_id: str | None) -> None:
        self._effects.append((op, order_id))

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

    def _now(self) -> datetime:
        return self._clock()

    def _reservation_active(self, acc: dict) -> bool:
        return acc["status"] == "reserved" and acc["expires_at"] > self._now()

    def _get(self, table: dict, key: str, what: str) -> dict:
        if key not in table:
            raise NotFound(f"{what} {key} not found")
        return table[key]

    # --- compliance and clients -----------------------------------------------------------

    def check_compliance(self, person: dict) -> dict:
        def action():
            passport = person.get("passport") or {}
            reason = None
            if (person.get("last_name") or "").strip().lower() in seed.BLOCKED_LAST_NAMES:
                reason = "listed_person"
            elif (passport.get("series"), passport.get("number")) in seed.INVALID_PASSPORTS:
                reason = "invalid_passport"
            elif passport.get("issued_on") and person.get("birth_date") and \
                    validation.passport_expired(passport["issued_on"], person["birth_date"],
                                                self._now().date(), self.passport_grace_days):
                reason = "passport_expired"
            return {"verdict": "refused" if reason else "clear", "reason": reason,
                    "check_id": self._next("K")}
        return self._call(OP_COMPLIANCE, None, action)

    def find_clients_by_document(self, series: str, number: str) -> list[dict]:
        def action():
            return [c for c in self._indexed("passport", (series, number), self._clients)
                    if c["status"] == "active"]
        return self._call(OP_FIND_CLIENTS, None, action)

    def get_client(self, client_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._get(self._clients, client_id, "client"))

    def create_client(self, person: dict, *, idempotency_key: str,
                      order_id: str | None = None) -> str:
        def action():
            passport = person.get("passport") or {}
            if not passport.get("series") or not passport.get("number"):
                raise BankRefusal("invalid_person", "passport series and number are required")
            for c in self._indexed("passport", _passport_key(person), self._clients):
                if c["status"] == "active":
                    raise AlreadyExists(c["client_id"], "a client with this passport exists")
            client_id = self._next("C")
            self._index_add("passport", _passport_key(person), client_id)
            self._clients[client_id] = {
                **copy.deepcopy(person), "client_id": client_id, "status": "active",
                "created_for": order_id, "created_at": iso(self._now())}
            self._effect(OP_CREATE_CLIENT, order_id)
            return client_id
        return self._call(OP_CREATE_CLIENT, idempotency_key, action)

    def deactivate_client(self, client_id: str, *, idempotency_key: str) -> str:
        def action():
            client = self._get(self._clients, client_id, "client")
            if client["status"] != "active":
                return "inactive"
            if self._client_in_use(client_id):
                return "in_use"
            client["status"] = "deactivated"
            self._effect(OP_DEACTIVATE_CLIENT, client.get("created_for"))
            return "deactivated"
        return self._call(OP_DEACTIVATE_CLIENT, idempotency_key, action)

    def _client_in_use(self, client_id: str, other_than: str | None = None) -> bool:
        """A live reservation or depositor order of some order (but `other_than`) relies on it."""
        accounts = self._indexed("accounts_of_client", client_id, self._accounts)
        orders = self._indexed("orders_of_client", client_id, self._orders)
        return any(self._reservation_active(a) and a["order_id"] != other_than for a in accounts) \
            or any(d["status"] == "created" and d["order_id"] != other_than for d in orders)

    def merge_clients(self, client_ids: list[str], *, idempotency_key: str,
                      survivor: str | None = None) -> str:
        def action():
            ids = list(dict.fromkeys(client_ids))
            keep = survivor or (ids[0] if ids else None)
            if keep not in ids:
                ids.insert(0, keep)
            records = [self._get(self._clients, cid, "client") for cid in ids if cid]
            if len(records) < 2:
                raise BankRefusal("invalid_merge", "merging needs at least two client records")
            merged = []
            for rec in records:
                if rec["client_id"] != keep and rec["status"] == "active":
                    rec.update(status="merged", merged_into=keep)
                    merged.append(rec["client_id"])
            if merged:
                self._merges.append({"survivor": keep, "merged": merged, "at": iso(self._now())})
                self._effect(OP_MERGE_CLIENTS, None)
            return keep
        return self._call(OP_MERGE_CLIENTS, idempotency_key, action)

    # --- escrow accounts ------------------------------------------------------------------

    def reserve_escrow_account(self, order_id: str, client_id: str, amount: int,
                               until: date | str, *, idempotency_key: str) -> str:
        def action():
            client = self._get(self._clients, client_id, "client")
            if client["status"] not in ("active", "deactivated"):
                raise BankRefusal("client_inactive", f"client {client_id} is {client['status']}")
            if validation.amount_kopecks(amount):
                raise BankRefusal("invalid_amount", validation.amount_kopecks(amount))
            existing = self.find_escrow_account(order_id)
            if existing:
                raise AlreadyExists(existing, "the order already has a reserved account")
            number = f"{ESCROW_PREFIX}0{next(self._seq):011d}"
            account = validation.with_account_key(seed.BANK_BIK, number)
            if client["status"] == "deactivated":  # undone by a rollback, relied on again
                client["status"] = "active"
                self._effect(OP_REACTIVATE_CLIENT, order_id)
            self._index_add("account_of_order", order_id, account)
            self._index_add("accounts_of_client", client_id, account)
            self._accounts[account] = {
                "account": account, "order_id": order_id, "client_id": client_id,
                "amount": amount, "until": validation.parse_date(until).isoformat(),
                "status": "reserved", "expires_at": self._now() + self.reservation_ttl}
            self._effect(OP_RESERVE, order_id)
            return account
        return self._call(OP_RESERVE, idempotency_key, action)

    def release_escrow_account(self, account: str, *, idempotency_key: str) -> None:
        def action():
            acc = self._get(self._accounts, account, "account")
            if acc["status"] == "reserved":
                acc["status"] = "released"
                self._effect(OP_RELEASE, acc["order_id"])
        return self._call(OP_RELEASE, idempotency_key, action)

    def find_escrow_account(self, order_id: str) -> str | None:
        with self._lock:
            return next((a["account"] for a in self._indexed("account_of_order", order_id, self._accounts)
                         if self._reservation_active(a)), None)

    def bind_to_developer(self, account: str, developer_account: str, project_id: str, *,
                          idempotency_key: str) -> str:
        def action():
            acc = self._get(self._accounts, account, "account")
            if not self._reservation_active(acc):
                raise BankRefusal("account_not_reserved", f"account {account} is not reserved")
            project = self._projects.get(project_id)
            # Projects the bank was not told about are accepted as given.
            if project and project["closed"]:
                raise BankRefusal("project_closed", f"project {project_id} takes no new agreements")
            if project and project["developer_account"] != developer_account:
                raise BankRefusal("developer_account_mismatch",
                                  f"{developer_account} is not the account of {project_id}")
            existing = self.find_binding(account)
            if existing:
                raise AlreadyExists(existing, "the account is already bound")
            binding_id = self._next("B")
            self._index_add("binding_of_account", account, binding_id)
            self._bindings[binding_id] = {
                "binding_id": binding_id, "account": account, "project_id": project_id,
                "developer_account": developer_account, "status": "active"}
            self._effect(OP_BIND, acc["order_id"])
            return binding_id
        return self._call(OP_BIND, idempotency_key, action)

    def unbind(self, binding_id: str, *, idempotency_key: str) -> None:
        def action():
            binding = self._get(self._bindings, binding_id, "binding")
            if binding["status"] == "active":
                binding["status"] = "unbound"
                self._effect(OP_UNBIND, self._accounts[binding["account"]]["order_id"])
        return self._call(OP_UNBIND, idempotency_key, action)

    def find_binding(self, account: str) -> str | None:
        with self._lock:
            return next((b["binding_id"] for b in self._indexed("binding_of_account", account, self._bindings)
                         if b["status"] == "active"), None)

    # --- depositor orders -------------------------------------------------------------------

    def create_depositor_order(self, order_id: str, client_id: str, account: str,
                               amount: int, agreement: dict, *, idempotency_key: str) -> str:
        def action():
            self._get(self._clients, client_id, "client")
            acc = self._get(self._accounts, account, "account")
            if acc["order_id"] != order_id or not self._reservation_active(acc):
                raise BankRefusal("account_mismatch", f"{account} is not reserved for this order")
            existing = self.find_depositor_order(order_id)
            if existing:
                raise AlreadyExists(existing, "the order already has a depositor order")
            dep_id = self._next("D")
            self._index_add("depositor_order_of_order", order_id, dep_id)
            self._index_add("orders_of_client", client_id, dep_id)
            self._orders[dep_id] = {
                "depositor_order_id": dep_id, "order_id": order_id, "client_id": client_id,
                "account": account, "amount": amount, "agreement": copy.deepcopy(agreement),
                "status": "created"}
            self._effect(OP_CREATE_ORDER, order_id)
            return dep_id
        return self._call(OP_CREATE_ORDER, idempotency_key, action)

    def cancel_depositor_order(self, depositor_order_id: str, *, idempotency_key: str) -> None:
        def action():
            dep = self._get(self._orders, depositor_order_id, "depositor order")
            if dep["status"] == "created":
                dep["status"] = "cancelled"
                self._effect(OP_CANCEL_ORDER, dep["order_id"])
        return self._call(OP_CANCEL_ORDER, idempotency_key, action)

    def find_depositor_order(self, order_id: str) -> str | None:
        with self._lock:
            return next((d["depositor_order_id"]
                         for d in self._indexed("depositor_order_of_order", order_id, self._orders)
                         if d["status"] == "created"), None)


def _passport_key(person: dict) -> tuple:
    passport = person.get("passport") or {}
    return passport.get("series"), passport.get("number")
