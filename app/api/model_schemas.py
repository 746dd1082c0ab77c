"""Request and response shapes of the model workbench API: validation, simulation, versions."""
from marshmallow import Schema, fields, validate

from app.api.schemas import UtcDateTime
from app.engine.simulation import DEFAULT_STEPS, MAX_STEPS

MAX_FILES = 20
MAX_FILE_CHARS = 2_000_000


def bpmn_files(**kwargs):
    """{"<name>.bpmn": "<xml>"}: the files of one bundle (a main process and what it calls)."""
    return fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[\w.-]+\.bpmn$",
                                                                   error="a file name ends in .bpmn")),
                       values=fields.String(validate=validate.Length(max=MAX_FILE_CHARS)),
                       required=True, validate=validate.Length(min=1, max=MAX_FILES),
                       metadata={"description": "file name -> BPMN 2.0 XML"}, **kwargs)


class ProblemSchema(Schema):
    element_id = fields.String(allow_none=True)
    element_type = fields.String(allow_none=True, metadata={"description": "BPMN element type, e.g. serviceTask"})
    line = fields.Integer(allow_none=True, metadata={"description": "line of the element in its file"})
    severity = fields.String(validate=validate.OneOf(["error", "warning"]))
    message = fields.String()
    file = fields.String(allow_none=True)


class ModelRefusalSchema(Schema):
    """422: the model has errors. `errors.json.files` lists the errors as text; `problems` lists
    every problem (errors and warnings) with its element."""
    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Dict()
    problems = fields.List(fields.Nested(ProblemSchema))


class ValidateRequestSchema(Schema):
    files = bpmn_files()


class ValidationSchema(Schema):
    valid = fields.Boolean(metadata={"description": "no errors (warnings allowed)"})
    problems = fields.List(fields.Nested(ProblemSchema))
    processes = fields.List(fields.String(), metadata={"description": "ids of the executable processes"})


# --- simulation ------------------------------------------------------------------------------

OUTCOME = fields.String(validate=validate.Regexp(r"^(ok|fail|error:[\w.:-]{1,100})$",
                                                 error="must be ok, fail or error:CODE"))


class ScriptedEventSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    payload = fields.Dict(load_default=dict)
    after = fields.String(load_default=None, allow_none=True, metadata={
        "description": "element id: delivered once it has completed (absent: when nothing else can happen)"})


class SimulationRequestSchema(Schema):
    files = bpmn_files()
    process_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "the process to run (default: the only executable process no other one calls)"})
    data = fields.Dict(load_default=dict, metadata={"description": "initial variables"})
    outcomes = fields.Dict(keys=fields.String(), values=fields.List(OUTCOME, validate=validate.Length(max=1000)),
                           load_default=dict, metadata={
                               "description": "element id or handler name -> outcomes of its calls, in order "
                                              "(ok by default): ok | fail (every retry fails) | error:CODE"})
    user_tasks = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict(), validate=validate.Length(max=1000)),
                             load_default=dict, metadata={
                                 "description": "user or receive task id -> data each completion submits ({} by "
                                                "default; a receive task's message payload)"})
    messages = fields.List(fields.Nested(ScriptedEventSchema), load_default=list, validate=validate.Length(max=100))
    signals = fields.List(fields.Nested(ScriptedEventSchema), load_default=list, validate=validate.Length(max=100))
    max_steps = fields.Integer(load_default=DEFAULT_STEPS, strict=True, validate=validate.Range(1, MAX_STEPS))


class TraceEventSchema(Schema):
    seq = fields.Integer()
    element_id = fields.String(allow_none=True)
    element_type = fields.String(allow_none=True)
    event = fields.String(metadata={"description": "completed | cancelled | failed | error:CODE | incident"})


class WaitingSchema(Schema):
    element_id = fields.String()
    element_type = fields.String()


class SimulationSchema(Schema):
    status = fields.String(validate=validate.OneOf(["completed", "waiting", "incident", "failed"]))
    end_events = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "element id -> completed executions"})
    compensations = fields.List(fields.String(), metadata={
        "description": "compensation handlers' element ids, in the order they completed"})
    trace = fields.List(fields.Nested(TraceEventSchema))
    waiting = fields.List(fields.Nested(WaitingSchema))
    data = fields.Dict()
    problems = fields.List(fields.Nested(ProblemSchema))


# --- versions --------------------------------------------------------------------------------

class ElementSchema(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "connectors only"})
    target = fields.String(metadata={"description": "connectors only"})
    process = fields.String()
    scope = fields.String(metadata={"description": "the process or sub-process it belongs to"})
    file = fields.String()


class OrderCountsSchema(Schema):
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())


class ModelSchema(Schema):
    id = fields.String()
    name = fields.String()
    version = fields.Integer()
    spec_hash = fields.String()
    deployed_at = UtcDateTime()
    deployed_by = fields.String()
    note = fields.String(allow_none=True, metadata={"description": "what changed, in the deployer's words"})


class ModelVersionSchema(ModelSchema):
    files = fields.Dict(keys=fields.String(), values=fields.String())
    elements = fields.List(fields.Nested(ElementSchema))
    orders = fields.Nested(OrderCountsSchema, metadata={"description": "orders running on this version"})
