"""Elastic's published ECS field list (npm @elastic/ecs, generated/ecs_flat), and a check of a
log line against it: every field is an ECS field of the right type (and an allowed value where
ECS lists them), or under the project's custom prefix."""
import functools
import json
import subprocess

from tests.observability.capture import flat
from tests.ops.tools import ROOT, node_modules

CUSTOM_PREFIX = "escrow."
STRINGS = {"keyword", "wildcard", "match_only_text", "text", "constant_keyword", "date", "ip", "version"}
INTEGERS = {"long", "integer", "short", "byte", "unsigned_long"}
NUMBERS = INTEGERS | {"float", "double", "scaled_float", "half_float"}


@functools.cache
def ecs_fields() -> dict[str, dict]:
    node_modules()
    dumped = subprocess.run(["node", "-e", "process.stdout.write(JSON.stringify(require('@elastic/ecs').EcsFlat))"],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(dumped.stdout)


def problems(line: dict) -> list[str]:
    """What is not ECS in a parsed line (empty: all valid)."""
    found = []
    for name, value in flat(line).items():
        if name.startswith(CUSTOM_PREFIX):
            continue
        spec = ecs_fields().get(name)
        if spec is None:
            found.append(f"{name}: not an ECS field")
        elif not _of_type(value, spec["type"]):
            found.append(f"{name}: {value!r} is not of ECS type {spec['type']}")
        elif spec.get("allowed_values") and value not in {v["name"] for v in spec["allowed_values"]}:
            found.append(f"{name}: {value!r} is not an allowed value")
    return found


def _of_type(value, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if kind in STRINGS:
        return isinstance(value, str)
    if kind in INTEGERS:
        return isinstance(value, int)
    if kind in NUMBERS:
        return isinstance(value, (int, float))
    return False  # object, nested, flattened: a leaf value is none of these
