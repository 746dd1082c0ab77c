"""ProcessEngine: parse + validate models, cache specs by hash, start and load instances."""
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import ModelError
from . import bpmn_files
from .problems import ERROR, Problem, Report
from .instance import Instance
from .parser import EscrowBpmnParser
from .script_env import Limits, make_script_engine
from .serializer import STATE_VERSION, make_registry
from .types import RetryPolicy
from .validation import Validation, validate
from .workflow import EscrowWorkflow


@dataclass(eq=False)
class ParsedModel:
    process_id: str
    spec_hash: str
    spec_json: dict = field(repr=False)     # {"process_id", "spec", "subprocess_specs"}: pure JSON
    spec: object = field(repr=False)        # restored BpmnProcessSpec (shared, never mutated)
    subprocess_specs: dict = field(repr=False)


def canonical_hash(spec_json: dict) -> str:
    text = json.dumps(spec_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def engine_problem(exc) -> Problem:
    """SpiffWorkflow's own refusal, as a problem that names the element where it can."""
    tag = getattr(exc, "tag", "") or ""
    return Problem(element_id=getattr(exc, "id", None) or None,
                   element_type=tag.rpartition(":")[2].rpartition("}")[2] or None,
                   line=getattr(exc, "line_number", None) or None, severity=ERROR,
                   message=f"the engine cannot read it: {exc}", file=getattr(exc, "file_name", None) or None)


class ProcessEngine:
    def __init__(self, handler_names, forms_dir: Path | None = None,
                 default_retry: RetryPolicy = RetryPolicy(3, 1.0), script_limits: Limits | None = None):
        self.handler_names = set(handler_names)
        self.forms_dir = forms_dir
        self.default_retry = default_retry
        self.registry = make_registry()
        self.script_engine = make_script_engine(script_limits)
        self._models: dict[str, ParsedModel] = {}

    # --- models -----------------------------------------------------------------------------
    def check(self, files: dict, main_process_id: str | None = None,
              bindings_required: bool = True) -> Validation:
        """Every problem of a bundle of BPMN files at once; nothing is raised. Without a main
        process, every executable process is checked. bindings_required=False (simulation):
        a missing handler or form is a warning, not an error."""
        return validate(files, main_process_id, self.handler_names, self.forms_dir, bindings_required)

    def parse(self, files: dict, main_process_id: str, bindings_required: bool = True) -> ParsedModel:
        """Validate and parse BPMN files (several allowed: call activities across files);
        ModelError lists every problem."""
        return self.compile(self.check(files, main_process_id, bindings_required), main_process_id)

    def elements(self, files: dict) -> list[dict]:
        """The elements of every process of the files (ids as the engine reads them)."""
        return bpmn_files.elements(bpmn_files.load(files, Report()))

    def compile(self, checked: Validation, main_process_id: str, cache: bool = True) -> ParsedModel:
        """The model of a checked bundle (ModelError if it has errors). cache=False keeps a
        throw-away model (a simulation) out of the engine's spec cache."""
        if not checked.valid:
            raise ModelError(checked.problems)
        parser = EscrowBpmnParser()
        try:
            for f in checked.files:
                parser.add_bpmn_xml(f.root, filename=f.name)
            spec = parser.get_spec(main_process_id)
            subprocess_specs = parser.get_subprocess_specs(main_process_id)
        except (ValidationException, SpiffWorkflowException) as exc:
            raise ModelError([*checked.problems, engine_problem(exc)]) from None
        spec_json = {
            "process_id": main_process_id,
            "spec": self.registry.convert(spec),
            "subprocess_specs": {name: self.registry.convert(sp) for name, sp in subprocess_specs.items()},
        }
        # through JSON once: exactly what the database will hand back
        return self.model_from_spec(json.loads(json.dumps(spec_json)), cache)

    def model_from_spec(self, spec_json: dict, cache: bool = True) -> ParsedModel:
        """Recreate a model from its stored spec JSON (no XML); cached by hash."""
        spec_hash = canonical_hash(spec_json)
        model = self._models.get(spec_hash)
        if model is None:
            copy = json.loads(json.dumps(spec_json))    # restoring consumes the dicts
            spec = self.registry.restore(copy["spec"])
            subs = {name: self.registry.restore(dct) for name, dct in copy["subprocess_specs"].items()}
            model = ParsedModel(spec_json["process_id"], spec_hash, spec_json, spec, subs)
            if cache:
                self._models[spec_hash] = model
        return model

    # --- instances --------------------------------------------------------------------------
    def start(self, model: ParsedModel, data: dict | None = None) -> Instance:
        """A new instance, not yet advanced: call advance(now) to run it to its first wait."""
        wf = EscrowWorkflow(model.spec, model.subprocess_specs, script_engine=self.script_engine)
        wf.task_tree.data.update(data or {})
        return Instance(self, model, wf)

    def load(self, model: ParsedModel, state: dict) -> Instance:
        if state.get("spec_hash") not in (None, model.spec_hash):
            raise ValueError(f"state belongs to spec {state.get('spec_hash')}, not {model.spec_hash}")
        wf = self.registry.restore(state["workflow"], spec=model.spec, subprocess_specs=model.subprocess_specs)
        wf.script_engine = self.script_engine
        return Instance(self, model, wf)

    def dump_state(self, model: ParsedModel, wf) -> dict:
        return {"v": STATE_VERSION, "spec_hash": model.spec_hash, "workflow": self.registry.convert(wf)}
