"""`python -m bench.run` (`make bench`): throughput, CPU and latency of the system as `make run`
serves it, against the engine's own ceiling measured in the same run.

The system under test is `python -m app` on a free port: gunicorn (gthread, HTTP keep-alive)
with the embedded default in its one worker process (librdkafka mock cluster, mongomock, the
outbox relay, the scheduler and N saga worker threads). C client threads, in a process of their
own, create orders over HTTP on one keep-alive connection each (a new passport per order: the
"new client" path); the report counts the connections the server accepted. A saga is done when
its AWAITING_SIGNATURE status event reaches the order-events topic, read here as any downstream
service would. CPU is the app's processes' own (from /proc), per finished saga; the engine
ceiling is the same model on the bare engine in this process, before the app starts and after
it stopped.

Prints ONE JSON object (see README "Performance"). Progress goes to stderr.
"""
import argparse
import itertools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.config import Settings
from app.messaging import topics
from app.rebuild import read_topic
from bench.app_process import ROOT, AppProcess, BankProcess, ServiceProcess
from bench.load import HttpClient, order_body, run_clients_elsewhere
from bench.tracker import DONE_STATUS, StatusTracker

# What the handlers of the "new client" path hand the model's gateways (for the bare engine).
HANDLER_VARIABLES = {"clients.find_by_document": {"client_match": "none"}}
# Connections the API server accepted, and the creates it answered (its own counters)
HTTP_COUNTS = (("escrow_http_connections_total", {}),
               ("escrow_http_request_duration_seconds_count", {"route": "/api/v1/orders", "method": "POST"}))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--orders", type=int, default=None, help="timed orders (default 1000; --quick 200)")
    p.add_argument("--concurrency", type=int, default=20, help="client threads doing creates")
    p.add_argument("--workers", type=int, default=1, help="saga worker threads in the app process")
    p.add_argument("--broker-process", action="store_true",
                   help="Kafka in a process of its own (python -m app.messaging.broker), not inside the app")
    p.add_argument("--bank-http", action="store_true",
                   help="the bank as an HTTP service of its own (python -m app.adapters.bank.server)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open loop: total creates per second (default 0: closed loop, as fast as possible)")
    p.add_argument("--latency-orders", type=int, default=None,
                   help="orders of the paced latency phase (default 300; --quick 100; 0: none)")
    p.add_argument("--latency-load", type=float, default=0.5,
                   help="the paced phase's rate as a share of the measured throughput")
    p.add_argument("--latency-rate", type=float, default=0.0, help="the paced phase's rate (overrides --latency-load)")
    p.add_argument("--ceiling-instances", type=int, default=None,
                   help="instances for the engine ceiling (default 300; --quick 100)")
    p.add_argument("--log-level", default=None,
                   help="the app's ESCROW_LOG_LEVEL (default: as `make run`, INFO unless the environment sets it)")
    p.add_argument("--timeout", type=float, default=150.0, help="give up waiting after this many seconds")
    p.add_argument("--quick", action="store_true", help="a short run (200 orders)")
    p.add_argument("--profile", metavar="PATH", default=None,
                   help="record the app's worker process with py-spy (on PATH) over the saturated phase, "
                        "raw format; summarise with `python -m bench.profile_report PATH`")
    args = p.parse_args(argv)
    if args.orders is None:
        args.orders = 200 if args.quick else 1000
    if args.latency_orders is None:
        args.latency_orders = 100 if args.quick else 300
    if args.ceiling_instances is None:
        args.ceiling_instances = 100 if args.quick else 300
    return args


# --- percentiles and machine ---------------------------------------------------------------
def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    return {"cpu_count": os.cpu_count(), "cpu_affinity": len(os.sched_getaffinity(0)),
            "cpu_model": model, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


# --- the engine ceiling ----------------------------------------------------------------------
class Ceiling:
    """The order model on the bare engine in this process (same code, same settings)."""

    def __init__(self, instances: int):
        from app.bootstrap import make_engine
        from app.config import load_settings
        from app.process_models import ORDER_PROCESS, initial_data
        from handlers import registry
        settings = load_settings()
        self.engine = make_engine(settings, registry.load_all())
        files = {p.name: p.read_bytes() for p in sorted(Path(settings.bpmn_dir).glob("*.bpmn"))}
        self.model = self.engine.parse(files, ORDER_PROCESS)
        self.data = initial_data(settings)
        self.instances = instances

    def check(self) -> None:
        from app.engine.ceiling import run_once
        waiting, _ = run_once(self.engine, self.model, HANDLER_VARIABLES, self.data)
        if waiting.status() != DONE_STATUS:  # the ceiling must run the same path as the sagas
            raise SystemExit(f"engine ceiling: the bare engine stops at {waiting.status()}")

    def measure(self) -> dict:
        from app.engine.ceiling import measure_engine_ceiling
        return measure_engine_ceiling(self.engine, self.model, HANDLER_VARIABLES, self.data, self.instances)


class Profiler:
    """py-spy recording the app's worker process until stopped: the thread holding the interpreter
    lock at each sample (the process is bound by it; librdkafka's own threads do not show)."""

    def __init__(self, path: str, pid: int):
        binary = shutil.which("py-spy")
        if binary is None:
            raise SystemExit("--profile needs py-spy on PATH (pip install py-spy, in a venv of its own)")
        self.proc = subprocess.Popen([binary, "record", "--pid", str(pid), "--threads", "--gil", "-r", "100",
                                      "-f", "raw", "-o", path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(1)  # attached

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)


def main(argv=None) -> dict:
    args = parse_args(argv)
    wall_start = time.monotonic()

    log(f"engine ceiling ({args.ceiling_instances} instances, bare engine, this process)")
    ceiling = Ceiling(args.ceiling_instances)
    ceiling.check()
    before = ceiling.measure()

    env = {"ESCROW_EMBEDDED_WORKERS": str(args.workers)}
    if args.log_level:
        env["ESCROW_LOG_LEVEL"] = args.log_level
    logs = ROOT / "var" / "bench"
    services: dict[str, ServiceProcess] = {}
    try:
        if args.broker_process:
            services["broker"] = ServiceProcess("app.messaging.broker", [], {}, logs / f"broker-{os.getpid()}.log")
            env["ESCROW_KAFKA_BOOTSTRAP"] = services["broker"].address
        if args.bank_http:
            services["bank"] = BankProcess(logs / f"bank-{os.getpid()}.log")
            env["ESCROW_BANK_URL"] = services["bank"].address
        log(f"starting `python -m app` ({args.workers} saga worker thread(s)"
            f"{', Kafka and the bank as processes of their own' if services else ''})")
        services["app"] = app = AppProcess(logs / f"app-{os.getpid()}.log", env)
        report = measure(app, services, args, wall_start)
    finally:
        log("stopping the system")
        for service in reversed(services.values()):
            service.stop()
    after = ceiling.measure()

    rates = (before["engine_ceiling_per_s"], after["engine_ceiling_per_s"])
    cpu_ms = (before["engine_ceiling_cpu_ms"] + after["engine_ceiling_cpu_ms"]) / 2
    ceiling_per_s = sum(rates) / 2
    report.update({
        "engine_ceiling_per_s": round(ceiling_per_s, 2),
        "engine_ceiling_before_after_per_s": [round(r, 2) for r in rates],
        "engine_ceiling_cpu_ms": round(cpu_ms, 2),
        "engine_ceiling_instances": before["engine_ceiling_instances"],
        "engine_steps_per_saga": before["engine_steps_per_saga"],
        "ratio": round(report["sagas_per_s"] / ceiling_per_s, 3),
        # the same comparison in CPU: what a saga costs the bare engine vs the whole system
        "cpu_ratio": round(cpu_ms / report["cpu_ms_per_saga"], 3) if report["cpu_ms_per_saga"] else None,
        "load_average": load_average(),
        "wall_s": round(time.monotonic() - wall_start, 1),
        "machine": machine(),
    })
    print(json.dumps(report), flush=True)
    return report


def measure(app: AppProcess, services: dict, args, wall_start: float) -> dict:
    app.wait_ready()
    bootstrap = app.kafka_bootstrap()
    tracker = StatusTracker(bootstrap, Settings().topic(topics.EVENTS))
    passports = itertools.count(1)

    # --- warm up: caches, the first of each code path -----------------------------------------
    log(f"warming up ({app.address}, gunicorn worker pid {app.worker_pid})")
    warm = HttpClient(app.port)
    warm_ids = [warm.create(order_body(n), f"bench-{n}") for n in itertools.islice(passports, min(20, args.orders))]
    done = tracker.wait(warm_ids, time.monotonic() + 60)
    warm.close()
    if not done or any(i in tracker.failed for i in warm_ids):
        raise SystemExit(f"warm-up orders did not complete: {[tracker.failed.get(i, 'pending') for i in warm_ids]}")
    log(f"warm ({time.monotonic() - wall_start:.1f} s); timing {args.orders} orders, {args.concurrency} clients")

    def timed_phase(orders: int, rate: float, profile: str | None = None) -> dict:
        """Send `orders` creates (closed loop, or paced at `rate`/s) and time them to the end."""
        first = next(passports)
        for _ in range(orders):  # reserve the passports the client process will use
            next(passports)
        accepted0, requests0 = app.metrics(*HTTP_COUNTS)
        profiler = Profiler(profile, app.worker_pid) if profile else None
        cpu0, t0 = {name: s.cpu_seconds() for name, s in services.items()}, time.perf_counter()
        results, errors, connections = run_clients_elsewhere(app.port, first, orders, args.concurrency, rate)
        api_done = time.perf_counter()
        ids = [r[0] for r in results]
        deadline = time.monotonic() + max(5.0, args.timeout - (time.monotonic() - wall_start))
        all_done = tracker.wait(ids, deadline)
        used = {name: [now - then for now, then in zip(s.cpu_seconds(), cpu0[name])]
                for name, s in services.items()}
        user, system = (sum(u[i] for u in used.values()) for i in (0, 1))
        cpu = user + system
        if profiler:
            profiler.stop()
        accepted, requests = (now - then for now, then in zip(app.metrics(*HTTP_COUNTS), (accepted0, requests0)))
        accepted -= 1  # this scrape's own connection
        done = [(oid, sent, answered, tracker.done[oid]) for oid, sent, answered in results
                if oid in tracker.done]
        failed = {oid: tracker.failed[oid] for oid in ids if oid in tracker.failed}
        window = max((d for *_, d in done), default=time.perf_counter()) - t0
        api_ms = [(answered - sent) * 1000 for _, sent, answered in results]
        saga_ms = [(d - sent) * 1000 for _, sent, _, d in done]
        return {
            "orders": len(done), "orders_requested": orders, "orders_failed": len(failed),
            "failed_statuses": sorted(set(failed.values())), "api_errors": len(errors),
            "api_error_sample": errors[:3],
            "all_completed": all_done and len(done) == orders,
            "sagas_per_s": round(len(done) / window, 2) if done and window > 0 else 0.0,
            "api_creates_per_s": round(len(results) / (api_done - t0), 2) if results else 0.0,
            "api_create_p50_ms": round(percentile(api_ms, 50), 2),
            "api_create_p99_ms": round(percentile(api_ms, 99), 2),
            "api_create_max_ms": round(max(api_ms), 2) if api_ms else None,
            "saga_p50_ms": round(percentile(saga_ms, 50), 1),
            "saga_p99_ms": round(percentile(saga_ms, 99), 1),
            "cpu_ms_per_saga": round(cpu * 1000 / len(done), 2) if done else None,
            "cpu_ms_per_saga_by_process": {name: round(sum(u) * 1000 / len(done), 2) if done else None
                                           for name, u in used.items()},
            "cpu_system_share": round(system / cpu, 2) if cpu else None,  # the kernel's part
            "cpu_cores_busy": round(cpu / window, 2) if window > 0 else None,
            "http_requests": int(requests), "http_connections_accepted": int(accepted),
            "client_connections": connections,
            "timed_window_s": round(window, 2),
            "load_average": load_average(),
            "ids": [d[0] for d in done],
        }

    # Throughput at saturation: clients send back to back (their latency is queueing there).
    saturated = timed_phase(args.orders, args.rate, args.profile)
    # Latency below saturation: the same clients paced at a share of that capacity.
    paced_rate = args.latency_rate or round(saturated["sagas_per_s"] * args.latency_load, 1)
    paced = None
    if args.latency_orders and paced_rate:
        log(f"latency phase: {args.latency_orders} orders at {paced_rate}/s, {args.concurrency} clients")
        paced = timed_phase(args.latency_orders, paced_rate)
    rss = rss_mb(app.worker_pid)
    sizes = context_sizes(read_topic(bootstrap, Settings().topic(topics.CONTEXT)), saturated["ids"][-10:])
    tracker.close()

    latency = paced or saturated
    report = {
        **{k: v for k, v in saturated.items() if k not in ("ids", "api_error_sample", "load_average")},
        # the latency figures come from the paced phase when there is one
        **{k: latency[k] for k in ("api_create_p50_ms", "api_create_p99_ms", "api_create_max_ms",
                                   "saga_p50_ms", "saga_p99_ms")},
        "saturated": {k: saturated[k] for k in ("api_creates_per_s", "api_create_p50_ms",
                                                "api_create_p99_ms", "saga_p50_ms", "saga_p99_ms",
                                                "load_average")},
        "paced": ({k: v for k, v in paced.items() if k not in ("ids", "api_error_sample")}
                  | {"rate_per_s": paced_rate}) if paced else None,
        "rss_mb": round(rss, 1) if rss else None,
        **sizes,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "kafka": "its own process" if args.broker_process else "inside the app (embedded mock cluster)",
        "bank": "HTTP service of its own" if args.bank_http else "inside the app (simulator)",
        "server": "gunicorn gthread (python -m app)",
        "mode": "http keep-alive" + (f", open loop {args.rate}/s" if args.rate else ", closed loop"),
    }
    if saturated["api_error_sample"]:
        report["api_error_sample"] = saturated["api_error_sample"]
    if args.profile:
        report["profile"] = args.profile
    return report


def context_sizes(records: dict[str, dict], order_ids: list[str]) -> dict:
    """Bytes of the newest context record (the whole order and its history, as published)."""
    sizes = [len(json.dumps(records[i], separators=(",", ":"))) for i in order_ids if i in records]
    if not sizes:
        return {"order_context_bytes": None}
    return {"order_context_bytes": sizes[-1], "order_context_bytes_max": max(sizes)}


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # librdkafka threads may linger; the report is out
