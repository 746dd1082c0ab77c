"""Authorization matrix generated from the OpenAPI document: every operation x no token, an
unknown token, each demo role x its own and the other company's resource -> the status that
tests/api/access_rules.py implies (2xx / 401 / 403 / 404), with real resources in the states
the operation needs (a fresh one for every call that may change it). Each company's orders
carry distinctive data; no response to anyone outside that company contains any of it, and no
manager's response contains the back office's candidate records."""
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.access_rules import BACKOFFICE_ONLY, MANAGER, PROBE_MODEL, RULES
from tests.api.conftest import PROJECT_OF, operations, order_for
from tests.api.figures import record
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, TOKENS, eventually

ROOT = Path(__file__).resolve().parents[2]
CALLERS = ("anonymous", "unknown token", "m1", "m2", "bo", "analyst", "admin")
ROLE_OF = {"m1": MANAGER, "m2": MANAGER, "bo": "backoffice", "analyst": "analyst", "admin": "admin"}
COMPANIES = ("m1", "m2")  # a company by its manager
RESOURCE_OF_PARAM = {"order_id": "order", "task_id": "task", "incident_id": "incident"}
WAIT_FOR = {"order": "AWAITING_SIGNATURE", "task": "BACKOFFICE_REVIEW", "incident": "INCIDENT"}
CODE = re.compile(r"code is (\d{6})")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})?")
HTTP_DATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    rule: object
    caller: str
    company: str | None  # whose resource (None: the operation acts on none)

    @property
    def resource(self) -> str | None:
        kinds = [RESOURCE_OF_PARAM[p] for p in re.findall(r"{(\w+)}", self.path) if p in RESOURCE_OF_PARAM]
        if kinds:
            return kinds[0]
        return "order" if self.rule.resource_query else None

    def expected(self, document) -> int:
        if self.caller in ("anonymous", "unknown token"):
            return 401
        role = ROLE_OF[self.caller]
        if role not in self.rule.roles:
            return 403
        if role == MANAGER and self.company not in (None, self.caller):
            return 404
        responses = document["paths"][self.path][self.method.lower()]["responses"]
        return int(min((code for code in responses if code.startswith("2")), default="200"))

    def label(self) -> str:
        variant = f" ({self.rule.variant})" if self.rule.variant else ""
        whose = f" on {self.company}'s" if self.company else ""
        return f"{self.method} {self.path}{variant} by {self.caller}{whose}"


def matrix(document) -> list[Cell]:
    cells = []
    for method, path in operations(document):
        for rule in RULES[(method, path)]:
            probe = Cell(method, path, rule, "admin", None)
            for company in (COMPANIES if probe.resource else (None,)):
                cells += [Cell(method, path, rule, caller, company) for caller in CALLERS]
    return cells


def test_every_operation_has_a_rule_and_every_rule_an_operation(document):
    documented = set(operations(document))
    assert not documented - set(RULES), f"operations without an access rule: {documented - set(RULES)}"
    assert not set(RULES) - documented, f"rules for operations that do not exist: {set(RULES) - documented}"


class World:
    """Orders, back-office tasks and incidents of both companies, made through the API; each
    company's orders carry markers that must never reach anyone outside the company."""

    def __init__(self, api, system):
        self.api, self.system = api, system
        self.markers = {c: [f"Zq{c}{secrets.token_hex(4)}", f"DDU-{c}-{secrets.token_hex(4)}",
                            f"+7999{secrets.randbelow(10 ** 7):07d}", PROJECT_OF[c]] for c in COMPANIES}
        self.shared: dict[tuple[str, str], str] = {}
        self.fresh: dict[tuple[str, str], list[str]] = {}

    def body(self, company: str, kind: str) -> dict:
        last_name, agreement, phone = self.markers[company][:3]
        passport = DUPLICATE_CLIENT_PASSPORT if kind == "task" else (
            f"46{secrets.randbelow(100):02d}", str(secrets.randbelow(900000) + 100000))
        body = order_for(company, passport=passport)
        body["depositor"]["last_name"] = last_name
        body["agreement"]["number"] = agreement
        body["depositor"]["phone"] = phone
        return body

    def create(self, needs: dict[tuple[str, str], int]) -> None:
        """needs: (kind, company) -> how many fresh ones (one shared of each kind comes on top)."""
        self._probe_model()
        made: dict[tuple[str, str], list[str]] = {}
        plain = {k: n for k, n in needs.items() if k[0] != "incident"}
        self._orders(plain, made)
        self.system.bank.set_fault("escrow.bind_to_developer", -1)  # compensation fails too:
        self.system.bank.set_fault("escrow.release_account", -1)    # an incident
        try:
            self._orders({k: n for k, n in needs.items() if k[0] == "incident"}, made)
        finally:
            self.system.bank.reset()
        for key, ids in made.items():
            self.markers[key[1]] += ids  # its order ids are the company's data too
            self.shared[key] = self.resource_id(key[0], ids[0])
            self.fresh[key] = [self.resource_id(key[0], order_id) for order_id in ids[1:]]

    def _probe_model(self) -> None:
        """Two versions of a model no order starts (the diff needs two): the back-office
        process on its own (orders run the copy inside their order_creation bundle)."""
        text = (ROOT / "bpmn" / "backoffice_resolution.bpmn").read_text()
        renamed = text.replace('name="Back office resolves duplicate clients"', 'name="Matrix probe"')
        assert renamed != text
        for version in (text, renamed):
            response = self.api.post("/api/v1/models", who="admin", json={
                "name": PROBE_MODEL, "files": {"backoffice_resolution.bpmn": version}})
            assert response.status_code == 201, response.get_json()

    def _orders(self, needs, made) -> None:
        for (kind, company), count in needs.items():
            made[(kind, company)] = [self.api.create(company, body=self.body(company, kind))
                                     for _ in range(count + 1)]
        for (kind, company), ids in list(made.items()):
            if (kind, company) in needs:
                for order_id in ids:
                    self.api.wait_status(order_id, WAIT_FOR[kind], who=company, timeout=60)

    def resource_id(self, kind: str, order_id: str) -> str:
        if kind == "order":
            return order_id
        if kind == "task":
            order = self.api.order(order_id, who="admin")
            return next(t["id"] for t in order["open_tasks"] if t["lane"] == "backoffice")
        return eventually(lambda: next((i["id"] for i in self.api.get(
            "/api/v1/incidents", who="admin", status="open").get_json() if i["order_id"] == order_id), None))

    def take(self, kind: str, company: str, fresh: bool) -> str:
        return self.fresh[(kind, company)].pop() if fresh else self.shared[(kind, company)]



def bpmn_files() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}


def request_body(world: World, cell: Cell, resource_id: str | None):
    method, path = cell.method, cell.path
    if path.endswith("/cancel"):
        return {"reason": "authorization matrix"}
    if path.endswith("/signature"):
        texts = [m["text"] for m in world.system.sms.list(order_id=resource_id)]
        return {"code": CODE.search(texts[0]).group(1) if texts else "000000"}
    if path.endswith("/complete"):
        return {"decision": "reject", "reason": "authorization matrix"}
    if path.endswith("/resolve"):
        return {"reason": "authorization matrix"}
    if (method, path) == ("POST", "/api/v1/orders"):
        return world.body(cell.caller if cell.caller in COMPANIES else "m1", "order")
    files = bpmn_files()
    if (method, path) == ("POST", "/api/v1/models"):
        return {"name": "order_creation", "files": files}  # the deployed files: the same version back
    if (method, path) in (("POST", "/api/v1/models/validate"), ("POST", "/api/v1/simulations"),
                          ("POST", "/api/v1/models/{name}/deploy-check")):
        return {"files": files}
    if (method, path) == ("POST", "/api/v1/dev/faults"):
        return {"operation": "escrow.reserve_account", "fail_times": 0}
    return None


def call(world: World, cell: Cell, document) -> tuple[int, str]:
    fresh = cell.method != "GET" and cell.expected(document) < 300
    resource_id = world.take(cell.resource, cell.company, fresh) if cell.resource else None
    path, query = cell.path, dict(cell.rule.query_values)
    for name, value in cell.rule.path_values:
        path = path.replace("{%s}" % name, value)
    if cell.rule.resource_query:
        query[cell.rule.resource_query] = resource_id
    elif resource_id:
        path = re.sub(r"{\w+}", resource_id, path)
    token = {"anonymous": None, "unknown token": "not-a-token-" + secrets.token_hex(8)}.get(
        cell.caller, TOKENS.get(cell.caller))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = request_body(world, cell, resource_id)
    response = world.api.client.open(path, method=cell.method, query_string=query, headers=headers,
                                     **({"json": body} if body is not None else {}))
    text = response.get_data(as_text=True) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers)
    return response.status_code, text


def readers_of(company: str) -> set[str]:
    """Callers who may read that company's data: its manager and the bank's own roles."""
    return {company, "bo", "analyst", "admin"}


def time_problems(text: str) -> list[str]:
    bad = [m.group(0) for m in ISO_TIME.finditer(text) if not m.group("zone")]
    return bad + [m.group(0) for m in HTTP_DATE.finditer(text)]


@pytest.fixture
def world(api, system, document):
    world = World(api, system)
    needs: dict[tuple[str, str], int] = {}
    for cell in matrix(document):
        if cell.resource:
            key = (cell.resource, cell.company)
            fresh = cell.method != "GET" and cell.expected(document) < 300
            needs[key] = needs.get(key, 0) + fresh
    world.create(needs)
    return world


def test_authorization_matrix(world, document):
    cells = matrix(document)
    wrong, leaks, times = [], [], []
    for cell in cells:
        status, text = call(world, cell, document)
        expected = cell.expected(document)
        if status != expected:
            wrong.append(f"{cell.label()}: {status}, expected {expected}: {text[:200]}")
        for company in COMPANIES:
            if cell.caller not in readers_of(company):
                leaked = [m for m in world.markers[company] if m in text]
                if leaked:
                    leaks.append(f"{cell.label()} shows {company}'s {leaked}")
        if ROLE_OF.get(cell.caller) in (MANAGER, "analyst") or cell.caller not in ROLE_OF:
            leaked = [m for m in BACKOFFICE_ONLY if m in text]
            if leaked:
                leaks.append(f"{cell.label()} shows back-office data {leaked}")
        if status < 300:
            times += [f"{cell.label()}: {t}" for t in time_problems(text)]
    operations_count = len({(c.method, c.path) for c in cells})
    record("authorization matrix", operations=operations_count, callers=len(CALLERS), cells=len(cells),
           wrong_status=len(wrong), leaks=len(leaks))
    print(f"\nauthorization matrix: {operations_count} operations x {len(CALLERS)} callers x own/other "
          f"company = {len(cells)} calls; wrong status {len(wrong)}, leaks {len(leaks)}")
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert not times, "times without an offset or as HTTP dates:\n" + "\n".join(times)
    assert len(cells) > 200
