"""What must hold for every finished case, and what a crash must not change."""
import json

from app.domain import statuses
from tests.e2e.test_context_topic import read_raw
from tests.reliability.cases import Case, Outcome


def case_problems(system, case: Case, expected: Outcome | None = None) -> list[str]:
    """Everything wrong with a finished case; `expected`: the outcome of its dry run."""
    out = list(case.problems)
    if case.outcome is None:
        return out + ["no outcome"]
    got = case.outcome
    if got.status != case.scenario.expect:
        out.append(f"status {got.status}, the model says {case.scenario.expect}")
    if expected is not None:
        # A cancel is applied between steps: after a crash it may come before the steps the
        # crashed run had done (and is redoing), so the statuses passed through may differ.
        cancelled = any(a.do in ("cancel", "fault_and_cancel") for a in case.scenario.actions)
        for name in ("status", "effects", "holding", "sms") + (() if cancelled else ("statuses", "facts")):
            if getattr(got, name) != getattr(expected, name):
                out.append(f"{name}: {getattr(got, name)} (without a crash: {getattr(expected, name)})")
        # After a crash, a step whose call may have happened (its task was waiting in the saved
        # state) is compensated too when a cancel or rollback comes: its handler finds nothing.
        extra = [s for s in got.compensated if s not in expected.compensated]
        if [s for s in got.compensated if s not in extra] != expected.compensated \
                or not set(extra) <= set(got.interrupted):
            out.append(f"compensated: {got.compensated} (without a crash: {expected.compensated})")
    out += [f"bank: {op} happened {n} times" for op, n in got.effects.items() if n > 1]
    resolved_by_hand = any(a.args == ("resolve",) for a in case.scenario.actions)
    if got.status in (statuses.CANCELLED, statuses.ROLLED_BACK) and not resolved_by_hand \
            and any(got.holding.values()):
        out.append(f"the bank still holds {got.holding} for a {got.status} order")
    doc = system.repo.get(case.order_id)
    out += _document_problems(doc)
    history = system.repo.full_history(doc)
    out += _history_problems(history, case) + _compensated_once(doc, history)
    return out


def _document_problems(doc: dict) -> list[str]:
    out = []
    if doc.get("outbox"):
        out.append(f"outbox not empty: {doc['outbox']}")
    if doc.get("open_tasks"):
        out.append(f"open tasks left: {[t['step'] for t in doc['open_tasks']]}")
    if doc.get("next_wake_at"):
        out.append(f"a wake-up is still due: {doc['next_wake_at']}")
    if any(i["status"] == "open" for i in doc["incidents"]):
        out.append("an incident is still open")
    stuck = [s["name"] for s in doc["steps"] if s["state"] in ("running", "compensating", "waiting")]
    if stuck:
        out.append(f"steps left {stuck}")
    return out


def _history_problems(history: list[dict], case: Case) -> list[str]:
    out = []
    ids = [h["id"] for h in history]
    if len(ids) != len(set(ids)):
        out.append("history has an entry twice")
    current = statuses.DRAFT
    for h in (h for h in history if h["action"] == "status"):
        if h["detail"]["from"] != current:
            out.append(f"status chain broken: {current} then {h['detail']}")
        try:
            statuses.check_transition(h["detail"]["from"], h["detail"]["to"])
        except statuses.TransitionError as error:
            out.append(str(error))
        current = h["detail"]["to"]
    cancels = sum(h["action"] == "order.cancel_requested" for h in history)
    wanted = 1 if any(a.do in ("cancel", "fault_and_cancel") for a in case.scenario.actions) else 0
    if cancels != wanted:
        out.append(f"order.cancel_requested recorded {cancels} times")
    if sum(h["action"] == "signature.confirmed" for h in history) > 1:
        out.append("signature.confirmed recorded twice")
    return out


def _compensated_once(doc: dict, history: list[dict]) -> list[str]:
    """Each visit of a step is compensated at most once."""
    visits = {s["name"]: s["visit"] for s in doc["steps"]}
    counts: dict[str, int] = {}
    for h in history:
        if h["action"] == "step.compensated":
            counts[h["detail"]["step"]] = counts.get(h["detail"]["step"], 0) + 1
    return [f"{step} compensated {n} times in {visits.get(step)} visits"
            for step, n in counts.items() if n > visits.get(step, 0)]


def events_problems(bootstrap: str, topic: str, cases: list[Case]) -> list[str]:
    """Every status change reached the events topic (at least once), in order."""
    published: dict[str, list] = {}
    seen = set()
    for value in read_topic(bootstrap, topic):
        if value.get("type") == "order.status_changed":
            key = (value["order_id"], value["from"], value["to"], value["at"])
            if key not in seen:
                seen.add(key)
                published.setdefault(value["order_id"], []).append(value["to"])
    out = []
    for case in cases:
        if case.outcome is None:
            continue
        if published.get(case.order_id, []) != case.outcome.statuses:
            out.append(f"{case.name}: events {published.get(case.order_id)} != history {case.outcome.statuses}")
    return out


def read_topic(bootstrap: str, topic: str) -> list[dict]:
    """Every record of a topic as JSON, each partition in order (one order's records share one)."""
    return [json.loads(value) for *_, value in read_raw(bootstrap, topic, timeout_s=60)]
