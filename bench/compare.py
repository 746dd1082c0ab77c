"""`python -m bench.compare` (`make bench-compare`): escrow-bpmn and the Temporal peer, run
alternately N times (ours, Temporal, ours, Temporal, ...), so both see the same machine.

Each pair prints both sides' sagas/s and CPU milliseconds per saga, the throughput ratio
(ours / Temporal), the CPU ratio (Temporal / ours) and our ratio to the engine ceiling; then
the minimum, median and maximum of each. The last line is all of it as one JSON object.
Ours is `python -m bench.run` (the system as `make run` serves it); the peer is
`bench/peers/temporal_saga.py` in its own virtualenv (`make bench-temporal` installs it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER_PYTHON = ROOT / "var" / "peers" / "bin" / "python"


def run_json(command: list[str], timeout: float) -> dict:
    """Run a benchmark command; its last stdout line is its JSON report."""
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def pair(ours: dict, theirs: dict) -> dict:
    return {"ours_sagas_per_s": ours["sagas_per_s"], "ours_cpu_ms_per_saga": ours["cpu_ms_per_saga"],
            "ours_ratio_to_ceiling": ours["ratio"], "ours_cpu_ratio_to_ceiling": ours["cpu_ratio"],
            "ours_api_create_p99_ms": ours["api_create_p99_ms"],
            "temporal_sagas_per_s": theirs["sagas_per_s"], "temporal_cpu_ms_per_saga": theirs["cpu_ms_per_saga"],
            "throughput_ratio": round(ours["sagas_per_s"] / theirs["sagas_per_s"], 2),
            "cpu_ratio": round(theirs["cpu_ms_per_saga"] / ours["cpu_ms_per_saga"], 2),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


COLUMNS = (("ours/s", "ours_sagas_per_s"), ("ours ms", "ours_cpu_ms_per_saga"),
           ("ceil.", "ours_ratio_to_ceiling"), ("p99 ms", "ours_api_create_p99_ms"),
           ("temp/s", "temporal_sagas_per_s"), ("temp ms", "temporal_cpu_ms_per_saga"),
           ("x sagas/s", "throughput_ratio"), ("x CPU", "cpu_ratio"))


def row(label: str, values) -> str:
    return f"{label:>8} " + " ".join(f"{v:>10}" for v in values)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n")[0])
    p.add_argument("-n", "--pairs", type=int, default=3, help="pairs of runs (default 3)")
    p.add_argument("--sagas", type=int, default=1000, help="sagas per run, both sides (default 1000)")
    p.add_argument("--peer-python", default=str(PEER_PYTHON), help="the Temporal peer's virtualenv python")
    p.add_argument("--timeout", type=float, default=900, help="seconds one run may take")
    args = p.parse_args(argv)
    ours_cmd = [sys.executable, "-m", "bench.run", "--orders", str(args.sagas)]
    theirs_cmd = [args.peer_python, "-m", "bench.peers.temporal_saga", "--sagas", str(args.sagas)]
    if not Path(args.peer_python).exists():
        raise SystemExit(f"{args.peer_python} missing: `make bench-temporal` installs the peer")

    pairs = []
    print(row("pair", [c for c, _ in COLUMNS]), flush=True)
    for n in range(1, args.pairs + 1):
        print(f"[compare {time.strftime('%H:%M:%S')}] pair {n}: escrow-bpmn", file=sys.stderr, flush=True)
        ours = run_json(ours_cmd, args.timeout)
        print(f"[compare {time.strftime('%H:%M:%S')}] pair {n}: Temporal", file=sys.stderr, flush=True)
        theirs = run_json(theirs_cmd, args.timeout)
        pairs.append(pair(ours, theirs))
        print(row(str(n), [pairs[-1][k] for _, k in COLUMNS]), flush=True)
    for label, pick in (("min", min), ("median", statistics.median), ("max", max)):
        print(row(label, [round(pick(p[k] for p in pairs), 2) for _, k in COLUMNS]))
    summary = {"pairs": pairs, "sagas": args.sagas}
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
