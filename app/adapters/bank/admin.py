"""The simulator's admin side: projects, fault injection, inspection for tests and dev
endpoints. A mixin of SimulatedBank (shares its lock and state)."""
import copy

from app.domain.clock import iso


class SimulatorAdmin:
    # --- projects (seeding, dev endpoints) ------------------------------------------------

    def add_project(self, project_id: str, developer_account: str, closed: bool = False,
                    **info) -> None:
        with self._lock:
            self._projects[project_id] = {**info, "id": project_id, "closed": closed,
                                          "developer_account": developer_account}

    def set_project_closed(self, project_id: str, closed: bool = True) -> None:
        with self._lock:
            self._get(self._projects, project_id, "project")["closed"] = closed

    def add_client(self, record: dict) -> None:
        """Seed a client record already in the core (e.g. another pair of duplicates)."""
        with self._lock:
            self._clients[record["client_id"]] = {**record, "status": "active", "created_for": None}
            self._index_add("passport", (record["passport"]["series"], record["passport"]["number"]),
                            record["client_id"])

    # --- fault injection ------------------------------------------------------------------

    def set_fault(self, operation: str, fail_times: int, latency_ms: int = 0,
                  after_effect: bool = False) -> None:
        self._faults.set(operation, fail_times, latency_ms, after_effect)

    def faults(self) -> dict[str, dict]:
        return self._faults.get()

    def reset(self) -> None:
        """Clear every injected fault (state stays; see reset_state)."""
        self._faults.reset()

    # --- inspection -------------------------------------------------------------------------

    def effects(self, order_id: str | None = None) -> dict[str, int]:
        """How many times each operation really changed something (replays do not count)."""
        with self._lock:
            counts: dict[str, int] = {}
            for op, oid in self._effects:
                if order_id is None or oid == order_id:
                    counts[op] = counts.get(op, 0) + 1
            return counts

    def snapshot_for_order(self, order_id: str) -> dict:
        """Everything the bank holds for an order; `active` counts what still holds."""
        with self._lock:
            accounts = [a for a in self._accounts.values() if a["order_id"] == order_id]
            numbers = {a["account"] for a in accounts}
            snap = {
                "clients": [c for c in self._clients.values() if c.get("created_for") == order_id],
                "reservations": [{**a, "active": self._reservation_active(a),
                                  "expires_at": iso(a["expires_at"])} for a in accounts],
                "bindings": [b for b in self._bindings.values() if b["account"] in numbers],
                "depositor_orders": [d for d in self._orders.values() if d["order_id"] == order_id],
            }
            snap = copy.deepcopy(snap)
            snap["active"] = {
                # a client another order's live products rely on is no longer held for this one
                "clients": sum(c["status"] == "active" and not self._client_in_use(c["client_id"], other_than=order_id)
                               for c in snap["clients"]),
                "reservations": sum(a["active"] for a in snap["reservations"]),
                "bindings": sum(b["status"] == "active" for b in snap["bindings"]),
                "depositor_orders": sum(d["status"] == "created" for d in snap["depositor_orders"]),
            }
            snap["holds_nothing"] = not any(snap["active"].values())
            snap["effects"] = self.effects(order_id)
            snap["order_id"] = order_id
            return snap

    def merges(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._merges)
