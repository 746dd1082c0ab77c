"""Property-based API tests from the OpenAPI document (schemathesis on the app's WSGI
interface): every operation x every role x data that fits the document and data that does
not, with generated ids and real ones. No answer is a 5xx, every answer conforms to the
document (status code, content type, body schema with formats, headers, X-Pagination's JSON),
and data the document rules out is refused with a 4xx."""
import json
import time

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.api.conftest import order_for
from tests.api.figures import record
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, TOKENS

EXAMPLES = 6  # per operation, role and mode: about 1,500 requests in all
ROLES = ("m1", "m2", "bo", "analyst", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
COUNT = {"requests": 0, "operations": set(), "nothing to negate": set(), "seconds": 0.0}


def json_headers_conform(ctx, response, case):
    """Headers documented with JSON `content` (X-Pagination): the text is JSON of that schema."""
    definition = case.operation.definition.raw["responses"].get(str(response.status_code), {})
    for name, header in (definition.get("headers") or {}).items():
        header = case.operation.schema.raw_schema["components"]["headers"][
            header["$ref"].rsplit("/", 1)[1]] if "$ref" in header else header
        schema = (header.get("content") or {}).get("application/json", {}).get("schema")
        values = response.headers.get(name.lower())
        if schema and values:
            jsonschema.validate(json.loads(values[0]), schema)
    return True


# Each role's token is sent with every case (the matrix covers missing and unknown tokens), and
# no undocumented query parameters: OpenAPI cannot close a parameter list, and the API ignores
# ones it does not read (as webargs does for queries).
CONFIG = {"generation": {"with-security-parameters": False, "allow-extra-parameters": False}}


@pytest.fixture(scope="module")
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app,
                                          config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture(scope="module")
def real_ids(api, system):
    """An order awaiting its signature and a back-office task, both of company 1; a model."""
    order_id = api.create("m1", body=order_for("m1"))
    review = api.create("m1", body=order_for("m1", passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(order_id, "AWAITING_SIGNATURE")
    task = api.wait_status(review, "BACKOFFICE_REVIEW")["open_tasks"][0]["id"]
    return {"order_id": order_id, "task_id": task, "incident_id": "inc_" + "0" * 24,
            "name": "order_creation", "version": 1}


@pytest.fixture(scope="module")
def api(app):
    from tests.e2e.harness import Api
    return Api(app.test_client())


def strategy(operation, mode, real_ids):
    generated = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in operation.path_parameters]
    if not names or not set(names) <= set(real_ids):
        return generated
    real = operation.as_strategy(generation_mode=mode, path_parameters={n: real_ids[n] for n in names})
    return st.one_of(generated, real)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("who", ROLES)
def test_no_5xx_and_every_answer_as_documented(schema, real_ids, system, who, mode):
    headers = {"Authorization": f"Bearer {TOKENS[who]}"}
    checks = CHECKS + ([negative_data_rejection] if mode.is_negative else [])
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=["generate"])
        @given(case=strategy(operation, mode, real_ids))
        def run(case):
            response = case.call(headers=headers)
            COUNT["requests"] += 1
            case.validate_response(response, checks=checks, additional_checks=[json_headers_conform],
                                   headers=headers)

        try:
            run()
        except Unsatisfiable:  # negative mode: nothing in this operation's request can be invalid
            assert mode.is_negative, operation.label
            COUNT["nothing to negate"].add(operation.label)
        COUNT["operations"].add(operation.label)
    system.bank.reset()  # faults the admin's generated calls may have set
    COUNT["seconds"] += time.monotonic() - started
    record("fuzzed requests (schemathesis)", requests=COUNT["requests"],
           operations=len(COUNT["operations"]), roles=len(ROLES), modes=2,
           operations_with_nothing_to_negate=len(COUNT["nothing to negate"]),
           seconds=round(COUNT["seconds"]), failures=0)
