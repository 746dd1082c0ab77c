"""Scenarios generated from the model's paths: what a client does to one order, and when.

Each path of the model (tests/reliability/model_paths.py) becomes a scenario through drivers:
the test's knowledge of how to make the model take a branch (which passport gives client_match
"none", which form data gives decision "merge", ...). A branch without a driver fails the
generation, so a model change that adds one cannot slip by untested.

Variants are injected into a path at a point: a service task failing for good (a timeout, or a
timeout after the effect), a cancel before a step or while it runs or while the order waits, a
compensation failing for good (then retried or resolved by an operator), an unexpected bug in a
handler (dead letter, incident, retry), wrong and new signing codes.
"""
from dataclasses import dataclass, field, replace

from tests.reliability.model_paths import ModelGraph, Path, Step

CANCEL_TRIGGER = "message:cancel_order"
FAILURE_TRIGGER = "error:step_failed"
CODE_LIFETIME = "PT3S"      # for an order whose path lets the code expire (the timer fires)
SLA = "PT1S"                # for an order whose path lets the back-office SLA pass


@dataclass(frozen=True)
class Trigger:
    """When an action is due. kind "waiting": the order settled in `status`, with the user task
    `task` open (if given), every service task of the path so far done (`progress`).
    kind "hit": the worker reaches `boundary` of `step` (first attempt). kind "incident": an
    incident is open."""
    kind: str
    status: str | None = None
    task: str | None = None
    task_visit: int = 1
    progress: tuple = ()
    boundary: str = ""
    step: str = ""


@dataclass(frozen=True)
class Action:
    label: str
    trigger: Trigger
    do: str                   # sign | wrong_code | new_code | cancel | task | fault | clear_and_retry | ...
    args: tuple = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str                         # the name of the model path it starts from
    match: str = "none"               # client_match driver
    blocked: bool = False             # compliance refuses the depositor
    actions: tuple = ()
    expect: str = ""
    variables: tuple = ()             # process variables at start: ((name, value), ...)
    operator_fixes: tuple = field(default=())


def _progress(steps: list[Step]) -> tuple:
    counts: dict[str, int] = {}
    for s in steps:
        if s.kind == "service":
            counts[s.id] = counts.get(s.id, 0) + 1
    return tuple(sorted(counts.items()))


def _visit(steps: list[Step], step_id: str) -> int:
    return sum(1 for s in steps if s.id == step_id)


class Generator:
    def __init__(self, graph: ModelGraph):
        self.graph = graph
        self.paths = graph.paths()
        self.cancelled = graph.event_subprocess_ends[CANCEL_TRIGGER]
        self.rolled_back = graph.event_subprocess_ends[FAILURE_TRIGGER]

    # --- a path as a scenario ----------------------------------------------------------------
    def path_name(self, path: Path) -> str:
        marks = [f"{s.var}={s.value}" for s in path.steps if s.kind == "choose" and s.var == "client_match"]
        marks += [f"{s.var}={s.value}" for s in path.steps if s.kind == "choose" and s.var == "decision"][:1]
        marks += [s.id for s in path.steps if s.kind in ("boundary", "catch")]
        return "/".join(marks + [path.end.id])

    def base(self, path: Path) -> Scenario:
        name = self.path_name(path)
        actions, variables = [], {}
        match, blocked = "none", False
        steps = path.steps
        for i, s in enumerate(steps):
            before = steps[:i]
            if s.kind == "choose" and s.var == "client_match":
                match = self._driven("client_match", s.value, ("none", "one", "many"))
            elif s.kind == "choose" and s.var == "decision":
                self._driven("decision", s.value, ("use_existing", "merge", "reject"))
            elif s.kind == "boundary" and s.handler == "error":
                blocked = self._driven("error", s.var, ("compliance_refused",)) == "compliance_refused"
            elif s.kind == "boundary" and s.handler == "message":
                self._driven("message", s.var, ("new_code_requested",))
                assert steps[i - 1].id == s.attached_to
                actions.append(Action(f"new_code#{_visit(steps[:i], s.attached_to)}",
                                      self._waiting(s.attached_to, steps[:i - 1]), "new_code"))
            elif s.kind == "boundary" and s.handler == "timer":
                kind = self._driven("timer", s.attached_to, ("sign_order", "resolve_duplicates"))
                var, value = ("code_ttl", CODE_LIFETIME) if kind == "sign_order" else ("backoffice_sla", SLA)
                variables[var] = value
            elif s.kind == "catch":
                self._driven("message", s.var, ("new_code_requested",))
                actions.append(Action(f"new_code@{s.id}", self._waiting(s.id, before, status=s.status), "new_code"))
            elif s.kind == "user":
                following = steps[i + 1] if i + 1 < len(steps) else None
                if following is not None and following.kind == "boundary" and following.attached_to == s.id \
                        and following.interrupting:
                    continue  # left through its boundary event
                if s.lane == "depositor":
                    actions.append(Action(f"sign#{_visit(steps[:i + 1], s.id)}", self._waiting(s.id, before), "sign"))
                elif s.lane == "backoffice":
                    decision = path.chosen("decision")
                    actions.append(Action(f"task:{decision}", self._waiting(
                        s.id, before, progress_too=self._branch_after(steps, i)), "task", (decision,)))
                else:
                    raise AssertionError(f"no driver for user task {s.id!r} in lane {s.lane!r}")
        if path.end.status is None:
            raise AssertionError(f"end event {path.end.id!r} has no status")
        return Scenario(name, name, match, blocked, tuple(actions), path.end.status,
                        tuple(sorted(variables.items())))

    @staticmethod
    def _branch_after(steps, i) -> list[Step]:
        """The steps of a non-interrupting boundary branch right after user task i (they run
        before the task is completed)."""
        out = []
        for s in steps[i + 1:]:
            if s.kind in ("boundary", "service") and (s.kind == "service" or not s.interrupting):
                out.append(s)
            else:
                break
        return out

    def _waiting(self, element: str, before: list[Step], status: str | None = None,
                 progress_too: list[Step] = ()) -> Trigger:
        """Waiting at `element` (a user task or a catch), after the steps `before` (and
        `progress_too`: a boundary branch that runs while the task waits)."""
        node = self.graph.step_of(element)
        return Trigger("waiting", status=status or node.status,
                       task=element if node.kind == "user" else None,
                       task_visit=_visit(before, element) + 1,
                       progress=_progress(list(before) + list(progress_too)))

    @staticmethod
    def _driven(what: str, value, known) -> object:
        if value not in known:
            raise AssertionError(f"the model has a branch {what} = {value!r} that no driver can produce")
        return value

    # --- variants ----------------------------------------------------------------------------
    def scenarios(self) -> list[Scenario]:
        bases = [(path, self.base(path)) for path in self.paths]
        out = [b for _, b in bases]
        seen_steps, seen_waits, seen_bugs = set(), set(), set()
        for path, base in bases:
            if base.blocked:
                continue
            for step in path.services():
                if step.id in seen_steps:
                    continue
                seen_steps.add(step.id)
                read_only = self._read_only(step.handler)
                modes = ("transient",) if read_only else ("transient", "after_effect")
                for mode in modes:
                    out.append(self._inject(base, f"fails:{mode}@{step.id}", step, "before_handler",
                                            "fault", (step.handler, mode), self.rolled_back))
                for when in ("before_handler", "after_handler"):
                    out.append(self._inject(base, f"cancel@{when}:{step.id}", step, when, "cancel", (),
                                            self.cancelled))
                if self._first_after_a_wait(path, step) and step.id not in seen_bugs:
                    seen_bugs.add(step.id)
                    out.append(self._with_bug(base, step))
            for action in base.actions:
                key = (action.trigger.task or action.label, action.trigger.task_visit, action.trigger.status)
                if action.trigger.kind == "waiting" and key not in seen_waits:
                    seen_waits.add(key)
                    out.append(self._cancel_waiting(base, action))
        out += self._compensations_failing(bases)
        out += self._signing(bases)
        return out

    @staticmethod
    def _first_after_a_wait(path: Path, step: Step) -> bool:
        """The first service task the order reaches after it starts or after it waited (a user
        task, a catch, a timer): the first step of a worker's pass. An unexpected bug there
        fails the command that started the pass; one such bug per kind of pass is enough (the
        dead letter, the incident and the retry do not depend on the step)."""
        index = next(i for i, s in enumerate(path.steps) if s.id == step.id)
        before = [s for s in path.steps[:index] if s.kind not in ("choose",)]
        return not before or before[-1].kind in ("user", "catch", "boundary")

    def _read_only(self, handler: str) -> bool:
        from handlers import registry
        return getattr(registry.load_all()[handler], "read_only", False)

    def _inject(self, base, label, step, boundary, do, args, expect) -> Scenario:
        """The base path up to `step`, where `do` happens at `boundary` of its first attempt."""
        cut = self._actions_before(base, step)
        action = Action(label, Trigger("hit", boundary=boundary, step=step.id), do, args)
        return replace(base, name=f"{base.name}|{label}", actions=cut + (action,), expect=expect)

    def _actions_before(self, base: Scenario, step: Step) -> tuple:
        """The base's actions that come before the first visit of a service step."""
        path = next(p for p in self.paths if self.path_name(p) == base.path)
        index = next(i for i, s in enumerate(path.steps) if s.id == step.id)
        done = _progress(path.steps[:index])
        return tuple(a for a in base.actions if a.trigger.kind == "waiting" and _covered(a.trigger.progress, done))

    def _with_bug(self, base, step) -> Scenario:
        """An unexpected error in the handler once: dead letter, incident; the operator retries."""
        bug = Action(f"bug@{step.id}", Trigger("hit", boundary="before_handler", step=step.id), "fault",
                     (step.handler, "bug", 1))
        retry = Action("retry", Trigger("incident"), "operator", ("retry",))
        cut = self._actions_before(base, step)
        rest = tuple(a for a in base.actions if a not in cut)
        return replace(base, name=f"{base.name}|bug@{step.id}", actions=cut + (bug, retry) + rest)

    def _cancel_waiting(self, base, action) -> Scenario:
        index = base.actions.index(action)
        cancel = Action(f"cancel@{action.label}", action.trigger, "cancel")
        return replace(base, name=f"{base.name}|cancel@{action.label}",
                       actions=base.actions[:index] + (cancel,), expect=self.cancelled)

    def _compensations_failing(self, bases) -> list[Scenario]:
        """Each compensation handler fails for good in a cancel at the path's last wait, on the
        first path where its activity runs; the operator then retries it, or resolves it."""
        out = []
        for activity, handler in sorted(self.graph.compensation.items()):
            path, base = next((p, b) for p, b in bases if any(s.id == activity for s in p.steps)
                              and not b.blocked and b.actions)
            last = base.actions[-1]
            for fix in ("retry", "resolve"):
                actions = base.actions[:-1] + (
                    Action(f"undo-fails:{activity}", last.trigger, "fault_and_cancel", (handler, "transient")),
                    Action(fix, Trigger("incident"), "operator", (fix,)))
                out.append(replace(base, name=f"{base.name}|undo-fails:{activity}|{fix}", actions=actions,
                                   expect=self.cancelled))
        return out

    def _signing(self, bases) -> list[Scenario]:
        """Wrong codes before the right one; all attempts wrong, then a new code and the right one."""
        from app.config import Settings
        path, base = next((p, b) for p, b in bases if b.actions and b.actions[-1].do == "sign"
                          and not any(a.do == "new_code" for a in b.actions))
        sign = base.actions[-1]
        wrong = Action("wrong_code", sign.trigger, "wrong_code")
        dead = tuple(replace(wrong, label=f"wrong_code#{n}") for n in range(Settings.code_max_attempts))
        new_code = Action("new_code_after_wrong", sign.trigger, "new_code")
        after = replace(sign, trigger=replace(sign.trigger, task_visit=sign.trigger.task_visit + 1,
                                              progress=_bump(sign.trigger.progress, "send_code")))
        return [replace(base, name=f"{base.name}|wrong_code", actions=base.actions[:-1] + (wrong, sign)),
                replace(base, name=f"{base.name}|codes_used_up", actions=base.actions[:-1] + dead + (new_code, after))]


def _covered(needed: tuple, done: tuple) -> bool:
    done = dict(done)
    return all(done.get(step, 0) >= n for step, n in needed)


def _bump(progress: tuple, step: str) -> tuple:
    counts = dict(progress)
    counts[step] = counts.get(step, 0) + 1
    return tuple(sorted(counts.items()))


def generate(system) -> list[Scenario]:
    """The scenarios of the order model new orders start on."""
    from app.process_models import ORDER_PROCESS
    from app.store.documents import ProcessModel
    current = system.catalog.current(ORDER_PROCESS)
    record = ProcessModel.objects(spec_hash=current["spec_hash"]).first()
    return Generator(ModelGraph(record.files, ORDER_PROCESS)).scenarios()
