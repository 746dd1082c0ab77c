"""Figures the API proofs report (matrix size, fuzzed requests): printed at the end of the run
and kept in var/api-figures.json for RELIABILITY.md."""
import json
from pathlib import Path

FILE = Path(__file__).resolve().parents[2] / "var" / "api-figures.json"
FIGURES: dict[str, dict] = {}


def record(name: str, **figures) -> None:
    FIGURES[name] = figures
    FILE.parent.mkdir(exist_ok=True)
    FILE.write_text(json.dumps(FIGURES, indent=1))
