"""Running scenarios on the plant: many orders at a time, each with its own crash plan.

A case is a scenario run for one new order, optionally crashing the worker process at one
boundary hit (once, or twice: again at the next boundary the order reaches after the restart).
Each run records the boundary hits of its order, so that a run without crashes (the dry run)
lists every point where a crash can happen; `Outcome` is what must come out the same.
"""
import itertools
import re
import time
from dataclasses import dataclass, field

from app.domain import statuses
from app.domain.clock import utcnow
from app.store.documents import HistoryEntry, Order
from tests.reliability.plant import Crash, Plant
from tests.reliability.scenarios import Action, Scenario

TOKENS = {"manager": "demo-manager-1", "manager-2": "demo-manager-2", "backoffice": "demo-backoffice",
          "admin": "demo-admin"}
CODE = re.compile(r"\b(\d{6})\b")
QUIET_S = 0.02          # an order counts as settled when nothing happened to it this long
LOOK = {"status": 1, "outbox.id": 1, "applied_commands": 1, "steps.name": 1, "steps.state": 1,
        "steps.visit": 1, "open_tasks.step": 1, "incidents.status": 1, "next_wake_at": 1}
_passports = itertools.count(1)


@dataclass(frozen=True)
class CrashPlan:
    point: tuple            # (what the hit is about, the order's state there): Runner._about, _state
    twice: bool = False


@dataclass
class Outcome:
    """What a run of a scenario must produce, crash or no crash."""
    status: str
    effects: dict           # bank operation -> times it changed something
    holding: dict           # what the bank still holds for the order
    sms: int
    statuses: list          # the status changes, in order
    compensated: list       # steps compensated, in order
    interrupted: list       # steps counted as possibly done when interrupted
    facts: dict             # what the order recorded (results), ids and times left out


@dataclass(eq=False)
class Case:
    scenario: Scenario
    crash: CrashPlan | None = None
    order_id: str | None = None
    next_action: int = 0
    performed: list = field(default_factory=list)
    points: list = field(default_factory=list)        # dry run: the crash points it passes
    step: tuple | None = None                         # the step the worker is at
    crashes: int = 0
    command: str | None = None
    last_activity: float = 0.0
    published: set = field(default_factory=set)      # command ids the relay published
    started: float = 0.0
    looked_at: float = -1.0
    done: bool = False
    outcome: Outcome | None = None
    problems: list = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.crash is None:
            return self.scenario.name
        return f"{self.scenario.name} :: crash{' twice' if self.crash.twice else ''} at {self.crash.point[0]}"


class Runner:
    def __init__(self, plant: Plant, client):
        self.plant = plant
        self.client = client
        self.system = plant.system

    # --- single orders, driven by hand ----------------------------------------------------------
    def create(self, match: str = "none", who: str = "manager", passport: tuple | None = None,
               project: str = "p-dev1-sunrise", blocked: bool = False) -> str:
        """A new order whose buyer matches `match` client records (none/one/many)."""
        n = next(_passports)
        passport = passport or new_passport(n)
        self._seed(match, passport, n)
        body = {**order_body(passport, blocked=blocked), "project_id": project}
        response = self.client.post("/api/v1/orders", json=body, headers=auth(who))
        assert response.status_code == 202, response.get_json()
        return response.get_json()["id"]

    def pump_until(self, condition, timeout_s: float = 30.0):
        """Run the worker process until `condition()` is truthy; its value."""
        deadline = time.monotonic() + timeout_s
        while not (value := condition()):
            assert time.monotonic() < deadline, "the worker did not get there in time"
            self.plant.step()
        return value

    def wait_status(self, order_id: str, *wanted: str) -> dict:
        return self.pump_until(lambda: (d := self.system.repo.get(order_id)) and d["status"] in wanted
                               and not d.get("outbox") and d)

    def code(self, order_id: str) -> str:
        [newest, *_] = self.plant.sms.list(order_id=order_id)
        return CODE.search(newest["text"]).group(1)

    # --- one case ----------------------------------------------------------------------------
    def start(self, case: Case) -> None:
        case.order_id = self.create(case.scenario.match, blocked=case.scenario.blocked)
        case.started = case.last_activity = time.monotonic()
        self.plant.variables[case.order_id] = dict(case.scenario.variables)
        self.plant.hooks[case.order_id] = lambda component, boundary, info: self._hit(case, component, boundary, info)

    def _seed(self, match: str, passport: tuple, n: int) -> None:
        records = {"none": 0, "one": 1, "many": 2}[match]
        for k in range(records):
            self.system.bank.add_client({
                "client_id": f"S{n:07d}{k}", "last_name": "Ivanova", "first_name": "Anna",
                "middle_name": "Petrovna", "birth_date": f"198{5 + k}-04-12", "phone": "+79161234567",
                "passport": {"series": passport[0], "number": passport[1], "issued_on": "2015-05-20",
                             "issuer_code": "770-001"}})

    def _hit(self, case: Case, component: str, boundary: str, info: dict) -> None:
        """Inside the worker: record the hit, act on a due action, crash if planned."""
        case.last_activity = time.monotonic()
        if boundary == "loaded":
            case.command, case.step = info.get("command"), None
        if component == "relay" and boundary == "after_publish":
            case.published.update(i for i, e in zip(info["ids"], info["events"]) if e != "context"
                                  and not e.startswith("order.status_changed"))
        if boundary in ("before_handler", "after_handler"):
            case.step = (info.get("step"), bool(info.get("compensates")))
        action = self._due_action(case)
        if action is not None and action.trigger.kind == "hit" and action.trigger.boundary == boundary \
                and component == "worker" and action.trigger.step == info.get("step") \
                and info.get("attempt") == 1 and not info.get("compensates"):
            self._perform(case, action)
        about = self._about(case, component, boundary, info)
        plan = case.crash
        if plan is None:  # a dry run lists the crash points
            case.points.append((about, self._state(case)))
        elif case.crashes == 0 and about == plan.point[0] and self._state(case) == plan.point[1]:
            self._crash(case, about)
        elif case.crashes == 1 and plan.twice:   # the next boundary after the restart
            self._crash(case, about)

    @staticmethod
    def _about(case: Case, component: str, boundary: str, info: dict) -> tuple:
        """What a hit is about: the boundary, and the step (a first attempt or a retry) or the
        command or the events being published. With the order's state (`_state`) this makes a
        crash point: the same point when a redelivery or a restart repeats it."""
        if component == "relay":
            about = tuple(info.get("events", ()))
        elif boundary in ("before_handler", "after_handler"):
            about = (*case.step, "first" if info.get("attempt") == 1 else "retry")
        elif boundary == "after_save":
            about = case.step
        else:
            about = case.command
        return component, boundary, about

    def _state(self, case: Case) -> tuple:
        """The order's state as saved: status, each step's state and visit, a cancel, incidents."""
        doc = self.system.repo.get(case.order_id)
        return (doc["status"], tuple((e["name"], e["state"], e["visit"]) for e in doc["steps"]),
                bool(doc.get("cancel_requested")), sum(i["status"] == "open" for i in doc["incidents"]))

    @staticmethod
    def _crash(case: Case, point: tuple) -> None:
        case.crashes += 1
        raise Crash(point)

    def _due_action(self, case: Case) -> Action | None:
        actions = case.scenario.actions
        return actions[case.next_action] if case.next_action < len(actions) else None

    def advance(self, case: Case) -> None:
        """Between plant steps: perform a due action, or finish the case. The order is read
        only when something happened to it since the last look (every change passes a boundary
        or is an action of this runner)."""
        if time.monotonic() - case.last_activity < QUIET_S or case.looked_at == case.last_activity:
            return
        case.looked_at = case.last_activity
        doc = Order._get_collection().find_one({"_id": case.order_id}, LOOK)
        handled = set(doc.get("applied_commands", ())) | self.plant.dead_lettered(case.order_id)
        if doc.get("outbox") or not case.published <= handled:
            return
        action = self._due_action(case)
        if action is not None:
            if action.trigger.kind != "hit" and self._triggered(action, doc):
                self._perform(case, action)
                case.last_activity = time.monotonic()  # look again once it settled
            return
        if statuses.is_final(doc["status"]) and not doc.get("next_wake_at"):
            case.done = True
            case.outcome = outcome_of(self.system, self.system.repo.get(case.order_id))

    @staticmethod
    def _triggered(action: Action, doc: dict) -> bool:
        t = action.trigger
        if t.kind == "incident":
            return doc["status"] == statuses.INCIDENT and any(i["status"] == "open" for i in doc["incidents"])
        if doc["status"] != t.status:
            return False
        steps = {s["name"]: s for s in doc.get("steps", [])}
        if t.task is not None:
            task = steps.get(t.task)
            if not any(o["step"] == t.task for o in doc.get("open_tasks", ())) or not task \
                    or task.get("visit") != t.task_visit:
                return False
        for name, visits in t.progress:
            entry = steps.get(name)
            if not entry or entry["visit"] < visits or (entry["visit"] == visits and entry["state"] != "completed"):
                return False
        return True

    # --- what a client (or an operator) does --------------------------------------------------
    def _perform(self, case: Case, action: Action) -> None:
        case.next_action += 1
        case.performed.append(action.label)
        getattr(self, f"_do_{action.do}")(case, *action.args)

    def _post(self, path: str, who: str, json=None):
        return self.client.post(path, json=json if json is not None else {}, headers=auth(who))

    def _do_sign(self, case: Case) -> None:
        response = self._post(f"/api/v1/orders/{case.order_id}/signature", "manager", {"code": self._code(case)})
        _expect(case, response, 200, "sign")

    def _do_wrong_code(self, case: Case) -> None:
        wrong = f"{(int(self._code(case)) + 1) % 1_000_000:06d}"
        response = self._post(f"/api/v1/orders/{case.order_id}/signature", "manager", {"code": wrong})
        _expect(case, response, 422, "wrong code")

    def _do_new_code(self, case: Case) -> None:
        _expect(case, self._post(f"/api/v1/orders/{case.order_id}/signature/code", "manager"), 202, "new code")

    def _do_cancel(self, case: Case) -> None:
        response = self._post(f"/api/v1/orders/{case.order_id}/cancel", "manager", {"reason": "crash test"})
        _expect(case, response, 202, "cancel")

    def _do_task(self, case: Case, decision: str) -> None:
        doc = self.system.repo.get(case.order_id)
        task = next(t for t in doc["open_tasks"] if t["lane"] == "backoffice")
        candidates = [c["client_id"] for c in task["data"]["candidates"]]
        data = {"decision": decision, "reason": "not the same person"} if decision == "reject" else \
            {"decision": decision, "client_id": candidates[0]}
        _expect(case, self._post(f"/api/v1/tasks/{task['id']}/complete", "backoffice", data), 202, "task")

    def _do_fault(self, case: Case, handler: str, mode: str, times: int = -1) -> None:
        self.plant.set_fault(case.order_id, handler, mode, times)

    def _do_fault_and_cancel(self, case: Case, handler: str, mode: str) -> None:
        self._do_fault(case, handler, mode)
        self._do_cancel(case)

    def _do_operator(self, case: Case, how: str) -> None:
        self.plant.clear_faults(case.order_id)
        doc = self.system.repo.get(case.order_id)
        incident = next(i for i in doc["incidents"] if i["status"] == "open")
        body = {"reason": "done by hand in the core"} if how == "resolve" else {}
        response = self._post(f"/api/v1/incidents/{incident['id']}/{how}", "admin", body)
        _expect(case, response, 202, how)

    def _code(self, case: Case) -> str:
        return self.code(case.order_id)

    # --- many cases --------------------------------------------------------------------------
    def run(self, cases: list[Case], on_done=None, at_once: int = 64, timeout_s: float = 60.0,
            keep: bool = False) -> None:
        """Run the cases, `at_once` at a time; `on_done(case)` is called when one finishes, then
        its order is deleted unless `keep` (a small database keeps the restarts' scans cheap)."""
        waiting, active = list(reversed(cases)), []
        while waiting or active:
            while waiting and len(active) < at_once:
                case = waiting.pop()
                self.start(case)
                active.append(case)
            self.plant.step()
            for case in active:
                self.advance(case)
                if not case.done and time.monotonic() - case.started > timeout_s:
                    doc = self.system.repo.get(case.order_id)
                    case.problems.append(f"stuck: {doc['status']}, next action {self._due_action(case)}, "
                                         f"steps {[(s['name'], s['state']) for s in doc['steps']]}")
                    case.done = True
            for case in [c for c in active if c.done]:
                active.remove(case)
                self.plant.hooks.pop(case.order_id, None)
                if on_done is not None:
                    on_done(case)
                if not keep:
                    self.forget(case.order_id)

    def forget(self, order_id: str) -> None:
        Order._get_collection().delete_one({"_id": order_id})
        HistoryEntry._get_collection().delete_many({"order_id": order_id})
        for table in (self.plant.variables, self.plant.faults):
            table.pop(order_id, None)


def outcome_of(system, doc: dict) -> Outcome:
    history = system.repo.full_history(doc)
    snapshot = system.bank.snapshot_for_order(doc["_id"])
    return Outcome(
        status=doc["status"], effects=snapshot["effects"], holding=snapshot["active"],
        sms=len(system.sms.list(order_id=doc["_id"])),
        statuses=[h["detail"]["to"] for h in history if h["action"] == "status"],
        compensated=[h["detail"]["step"] for h in history if h["action"] == "step.compensated"],
        interrupted=[h["detail"]["step"] for h in history if h["action"] == "step.interrupted"],
        facts={k: v for k, v in doc.get("results", {}).items()
               if v is None or isinstance(v, (bool, int)) or (isinstance(v, str) and not any(c.isdigit() for c in v))})


def new_passport(n: int) -> tuple:
    return "49" + f"{n // 1_000_000:02d}", f"{n % 1_000_000:06d}"


def order_body(passport: tuple, blocked: bool = False) -> dict:
    year = utcnow().year
    return {
        "project_id": "p-dev1-sunrise",
        "agreement": {"number": "DDU-17/2026", "date": "2026-11-20"},
        "amount": 1_250_000_000, "escrow_until": f"{year + 2}-12-31",
        "depositor": {"last_name": "Blocked" if blocked else "Ivanova", "first_name": "Anna",
                      "middle_name": "Petrovna", "birth_date": "1985-04-12", "phone": "+79161234567",
                      "passport": {"series": passport[0], "number": passport[1],
                                   "issued_on": "2015-05-20", "issuer_code": "770-001"},
                      "inn": "500100732259", "snils": "112-233-445 95"}}


def auth(who: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def _expect(case: Case, response, status: int, what: str) -> None:
    if response.status_code != status:
        case.problems.append(f"{what}: {response.status_code} {response.get_json()}")
