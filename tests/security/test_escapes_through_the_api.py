"""Issue 14 (critical): every escape of the corpus, deployed through the API in the real model
and run by an order, reaches nothing; orders on a good version complete meanwhile.

Each case is bpmn/ with one element changed (a script task on the first flow, the first
gateway condition, a parameter of the first service task, the signing timer). Deploying it
(POST /api/v1/models as the analyst) is either refused naming that element, or accepted; then
an order (POST /api/v1/orders as manager 1) runs it and must end in an INCIDENT naming the
element. Canaries: no file written; nothing the order shows holds a module, frame, code or
function object, a traceback or another company's order; the worker keeps serving (orders on
good versions complete).
"""
import itertools
import json
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_text, quoteattr


from app.config import ROOT
from tests.e2e.harness import headers, order_body
from tests.security.escapes import NAMED, Escape

BPMN = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}
MAIN = "order_creation.bpmn"
SIGNS_OF_A_REACH = ("<module", "<frame", "<code object", "<built-in", "<function", "<generator",
                    "Traceback", "__import__")
passports = (f"{n:06d}" for n in itertools.count(700001))


@dataclass(frozen=True)
class Context:
    """Where an escape goes in the model: `place(escape)` -> the changed order_creation.bpmn,
    or None if the escape has no form that fits there."""
    name: str
    element: str           # the element's id, which a refusal or an incident must name
    anchor: str            # text of bpmn/order_creation.bpmn that the case replaces
    template: str          # its replacement, with {code} for the escape (XML-escaped)
    mode: str              # "exec": the whole script; "eval": the one-expression form
    quote: object = xml_text

    def place(self, escape: Escape) -> str | None:
        source = escape.script if self.mode == "exec" else escape.expression
        if source is None:
            return None
        assert self.anchor in BPMN[MAIN], self.anchor
        return BPMN[MAIN].replace(self.anchor, self.template.format(code=self.quote(source)), 1)


FIRST_FLOW = ('<bpmn:sequenceFlow id="flow_order_received_to_compliance_check" '
              'sourceRef="order_received" targetRef="compliance_check"/>')
CONTEXTS = [
    Context("script task", "probe", FIRST_FLOW,
            '<bpmn:sequenceFlow id="flow_order_received_to_compliance_check" sourceRef="order_received" '
            'targetRef="probe"/><bpmn:scriptTask id="probe" name="Probe"><bpmn:script>{code}</bpmn:script>'
            '</bpmn:scriptTask><bpmn:sequenceFlow id="flow_probe_to_compliance_check" sourceRef="probe" '
            'targetRef="compliance_check"/>', "exec"),
    Context("gateway condition", "client_match_gateway", 'client_match == "none"</bpmn:conditionExpression>',
            '[{code}, client_match == "none"][1]</bpmn:conditionExpression>', "eval"),
    Context("service-task parameter", "compliance_check",
            '<spiffworkflow:serviceTaskOperator id="compliance.check_depositor" resultVariable=""/>',
            '<spiffworkflow:serviceTaskOperator id="compliance.check_depositor" resultVariable="">'
            '<spiffworkflow:parameters><spiffworkflow:parameter id="probe" type="str" value={code}/>'
            '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>', "eval",
            quote=lambda source: quoteattr(f"[{source}, 'probe'][1]")),
    Context("timer expression", "code_expired_boundary", "code_ttl</bpmn:timeDuration>",
            "[{code}, code_ttl][1]</bpmn:timeDuration>", "eval"),
]
# The incident of a failed condition names the gateway; a refusal names the flow.
DEPLOY_NAMES = {"client_match_gateway": "flow_client_match_gateway_to_create_client"}


def deploy(api, main_xml: str):
    return api.client.post("/api/v1/models", headers=headers("analyst"),
                           json={"name": "order_creation", "files": {**BPMN, MAIN: main_xml}})


def create(api, who="m1", project="p-dev1-sunrise") -> str:
    return api.create(who, body=order_body(passport=("4602", next(passports)), project_id=project))


def shown(api, order_id: str) -> str:
    """Everything the API shows about an order, to the admin (who sees most)."""
    return json.dumps(api.order(order_id, who="admin"))


def test_every_escape_through_the_api_reaches_nothing(api, tmp_path):
    victim = create(api, "m2", "p-dev2-riverside")       # another company's order
    good_before = [create(api) for _ in range(3)]          # pinned to the good version
    refused, running = [], []
    for escape, context in itertools.product(NAMED, CONTEXTS):
        canary = tmp_path / f"{escape.name}-{context.element}"
        main_xml = context.place(escape.with_canary(str(canary)))
        if main_xml is None:
            continue
        response = deploy(api, main_xml)
        case = (escape.name, context.name, canary)
        if response.status_code == 422:
            message = response.get_json()["errors"]["json"]["files"][0]
            assert DEPLOY_NAMES.get(context.element, context.element) in message, (case, message)
            refused.append(case)
            continue
        assert response.status_code == 201, (case, response.get_json())
        running.append((case, context, create(api)))
    assert deploy(api, BPMN[MAIN]).status_code == 201     # the good version again
    good_after = create(api)

    for (name, where, canary), context, order_id in running:
        order = api.wait_status(order_id, "INCIDENT", "AWAITING_SIGNATURE", timeout=60)
        assert order["status"] == "INCIDENT", (name, where, order["status"])
        error = order["incidents"][-1]["error"]
        assert f"'{context.element}'" in error, (name, where, error)
        text = shown(api, order_id)
        assert victim not in text and not any(sign in text for sign in SIGNS_OF_A_REACH), (name, where)
    for _, _, canary in refused + [case for case, _, _ in running]:
        assert not canary.exists(), canary

    for order_id in [victim, *good_before, good_after]:
        assert api.wait_status(order_id, "AWAITING_SIGNATURE", who="admin", timeout=60)
    contexts_used = {where for _, where, _ in refused + [case for case, _, _ in running]}
    print(f"\nsandbox escapes through the API: {len(refused) + len(running)} deployed "
          f"({len(NAMED)} escapes x {len(contexts_used)} places): {len(refused)} refused at deploy "
          f"naming the element, {len(running)} ran into an incident; "
          f"{len(good_before) + 2} orders on good versions completed")
    assert contexts_used == {c.name for c in CONTEXTS}
