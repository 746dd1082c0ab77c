"""Versioned process models: deploy BPMN files, keep every version, load specs by hash.

Running instances stay on the version they started with; new orders take the latest.
Deploying the same files again returns the existing version; a change of layout or
documentation alone is a new version with the same spec.
"""
import json
import threading
import time
from pathlib import Path

from app.domain.clock import iso, utcnow
from app.store.documents import ProcessModel

ORDER_PROCESS = "order_creation"
CURRENT_TTL_S = 2.0  # how soon other processes' deployments reach new orders


def initial_data(settings) -> dict:
    """The variables every order's process starts with (the worker's, and a simulation's)."""
    return {"code_ttl": f"PT{settings.code_ttl_s}S", "backoffice_sla": f"PT{settings.backoffice_sla_s}S"}


class ModelCatalog:
    def __init__(self, engine, on_deploy=None, on_model=None):
        self.engine = engine
        self.on_deploy = on_deploy or (lambda record: None)  # e.g. publish to the models topic
        self.on_model = on_model or (lambda parsed: None)    # a parsed model enters the cache
        self._by_hash: dict = {}
        self._current: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def deploy(self, name: str, files: dict[str, bytes], actor: str, note: str | None = None) -> ProcessModel:
        """Validate and store a new version (ModelError from the engine when invalid). The
        files are stored as the engine read them (with any synthesised ids); `note` says what
        changed, in the deployer's words."""
        checked = self.engine.check(files, name)
        parsed = self.engine.compile(checked, name)
        files = {k: v.decode("utf-8") for k, v in checked.contents().items()}
        latest = self.latest(name)
        if latest and latest.spec_hash == parsed.spec_hash and dict(latest.files) == files:
            self._by_hash.setdefault(parsed.spec_hash, parsed)
            self.on_model(parsed)
            return latest
        version = latest.version + 1 if latest else 1
        record = ProcessModel(id=f"{name}:{version}", name=name, version=version,
                              spec_hash=parsed.spec_hash, files=files,
                              spec_json=json.dumps(parsed.spec_json), deployed_at=utcnow(), deployed_by=actor,
                              note=note or None)
        record.save(force_insert=True)
        self._by_hash[parsed.spec_hash] = parsed
        self.on_model(parsed)
        self._current.pop(name, None)
        self.on_deploy(record)
        return record

    def deploy_directory(self, bpmn_dir: Path, name: str = ORDER_PROCESS, actor: str = "system"):
        files = {p.name: p.read_bytes() for p in sorted(Path(bpmn_dir).glob("*.bpmn"))}
        return self.deploy(name, files, actor)

    def latest(self, name: str) -> ProcessModel | None:
        return ProcessModel.objects(name=name).order_by("-version").first()

    def current(self, name: str) -> dict:
        """{name, version, spec_hash} new orders start on; cached a few seconds, because it
        is read on every create and changes only when an analyst deploys (here: at once)."""
        cached = self._current.get(name)
        if cached is None or time.monotonic() - cached[0] > CURRENT_TTL_S:
            record = self.latest(name)
            cached = (time.monotonic(), {"name": record.name, "version": record.version,
                                         "spec_hash": record.spec_hash})
            self._current[name] = cached
        return cached[1]

    def version(self, name: str, version: int) -> ProcessModel | None:
        return ProcessModel.objects(name=name, version=version).first()

    def versions(self, name: str | None = None) -> list[ProcessModel]:
        query = ProcessModel.objects(name=name) if name else ProcessModel.objects()
        return list(query.order_by("name", "-version"))

    def get(self, spec_hash: str):
        """The parsed model for a spec hash, from the cache or rebuilt from its stored spec."""
        parsed = self._by_hash.get(spec_hash)
        if parsed is None:
            with self._lock:
                record = ProcessModel.objects(spec_hash=spec_hash).first()
                if record is None:
                    raise KeyError(f"no deployed model with spec {spec_hash}")
                parsed = self.engine.model_from_spec(json.loads(record.spec_json))
                self._by_hash[spec_hash] = parsed
                self.on_model(parsed)
        return parsed


def model_record(record: ProcessModel) -> dict:
    """The form a deployment takes on the compacted models topic (enough to restore it)."""
    return {"id": record.id, "name": record.name, "version": record.version,
            "spec_hash": record.spec_hash, "deployed_at": iso(record.deployed_at),
            "deployed_by": record.deployed_by, "note": record.note, "files": record.files,
            "spec_json": record.spec_json}
