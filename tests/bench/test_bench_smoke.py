"""The benchmark at a tiny size, so it cannot rot (`make bench` runs it at full size): it starts
`python -m app` (gunicorn) itself and drives it over HTTP keep-alive."""
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KEYS = ("orders", "sagas_per_s", "api_create_p50_ms", "api_create_p99_ms", "saga_p50_ms",
        "saga_p99_ms", "engine_ceiling_per_s", "ratio", "cpu_ms_per_saga", "engine_ceiling_cpu_ms",
        "cpu_ratio", "rss_mb", "order_context_bytes", "machine")


def test_bench_runs_at_a_tiny_size():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--orders", "20", "--concurrency", "4",
         "--latency-orders", "10", "--ceiling-instances", "20", "--timeout", "45"],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout  # ONE JSON object on stdout, progress on stderr
    report = json.loads(lines[0])
    for key in KEYS:
        assert key in report, key
    assert report["orders"] == 20, report
    assert report["orders_failed"] == 0 and report["api_errors"] == 0, report
    for key in ("sagas_per_s", "engine_ceiling_per_s", "ratio", "api_create_p50_ms", "saga_p50_ms"):
        assert isinstance(report[key], (int, float)) and math.isfinite(report[key]) and report[key] > 0, key
    assert report["api_create_p50_ms"] <= report["api_create_p99_ms"]
    assert report["saga_p50_ms"] <= report["saga_p99_ms"]
    assert report["api_create_p50_ms"] <= report["saga_p50_ms"]
    assert math.isclose(report["ratio"], report["sagas_per_s"] / report["engine_ceiling_per_s"], rel_tol=0.01)
    assert math.isclose(report["cpu_ratio"], report["engine_ceiling_cpu_ms"] / report["cpu_ms_per_saga"],
                        rel_tol=0.01)
    assert report["engine_steps_per_saga"] == 7
    # keep-alive is real: the server accepted one connection per client thread, no more
    assert report["http_requests"] == 20
    assert report["http_connections_accepted"] == report["client_connections"] == 4
    assert 10 < report["rss_mb"] < 4096
    assert 1000 < report["order_context_bytes"] < 1_000_000
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["python"]
