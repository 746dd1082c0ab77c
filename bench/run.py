"""`python -m bench.run`: end-to-end throughput and latency of the embedded default.

The system runs as `make run` serves it, in one process: the Flask app behind werkzeug's
threaded HTTP server on loopback, the in-process librdkafka mock cluster, mongomock, the outbox
relay, the scheduler and N worker threads in one consumer group. C client threads, in a second
process, create orders over HTTP (one keep-alive connection each, a new passport per order:
the "new client" path); completion is
seen by hooking the repository's write hook (no API polling), so the measurement costs the
system nothing beyond one dict lookup per write.

Prints ONE JSON object (see README "Performance"). Progress goes to stderr.
"""
import argparse
import itertools
import json
import logging
import os
import platform
import resource
import sys
import threading
import time

from bench.load import HttpClient, TestClient, order_body, run_clients, run_clients_elsewhere

DONE_STATUS = "AWAITING_SIGNATURE"
# What the handlers of the "new client" path hand the model's gateways (for the bare engine).
HANDLER_VARIABLES = {"clients.find_by_document": {"client_match": "none"}}
FAILED_STATUSES = {"ROLLED_BACK", "REJECTED", "CANCELLED", "INCIDENT", "BACKOFFICE_REVIEW"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--orders", type=int, default=None, help="timed orders (default 1000; --quick 200)")
    p.add_argument("--concurrency", type=int, default=20, help="client threads doing creates")
    p.add_argument("--workers", type=int, default=1, help="worker threads in the consumer group")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open loop: total creates per second (default 0: closed loop, as fast as possible)")
    p.add_argument("--latency-orders", type=int, default=None,
                   help="orders of the paced latency phase (default 300; --quick 100; 0: none)")
    p.add_argument("--latency-load", type=float, default=0.5,
                   help="the paced phase's rate as a share of the measured throughput")
    p.add_argument("--latency-rate", type=float, default=0.0, help="the paced phase's rate (overrides --latency-load)")
    p.add_argument("--ceiling-instances", type=int, default=None,
                   help="instances for the engine ceiling (default 300; --quick 100)")
    p.add_argument("--timeout", type=float, default=150.0, help="give up waiting after this many seconds")
    p.add_argument("--quick", action="store_true", help="a short run (200 orders)")
    p.add_argument("--no-http", action="store_true", help="Flask test client instead of HTTP over loopback")
    p.add_argument("--profile", metavar="PATH", default=None,
                   help="write a pyinstrument profile of the timed phase (HTML if PATH ends .html, else text)")
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


def rss_mb() -> tuple[float, float]:
    current = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    return (current if current is not None else peak), peak


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


# --- the system under test -----------------------------------------------------------------
class Tracker:
    """Watches repository writes: when did each order reach AWAITING_SIGNATURE (or fail)."""

    def __init__(self, repo):
        self.done: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.cond = threading.Condition()
        previous = repo.on_write

        def on_write(order_id, doc, queued):
            status = doc.get("status")
            if status == DONE_STATUS or status in FAILED_STATUSES:
                self._record(order_id, status, time.perf_counter())
            previous(order_id, doc, queued)
        repo.on_write = on_write

    def _record(self, order_id, status, at):
        with self.cond:
            if order_id in self.done or order_id in self.failed:
                return
            if status == DONE_STATUS:
                self.done[order_id] = at
            else:
                self.failed[order_id] = status
            self.cond.notify_all()

    def wait(self, order_ids, deadline: float) -> bool:
        ids = set(order_ids)
        with self.cond:
            while True:
                if all(i in self.done or i in self.failed for i in ids):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))


def start_server(app):
    from werkzeug.serving import make_server
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    return server, thread


def order_doc_size(repo, order_ids) -> dict:
    import bson
    sizes, process_sizes = [], []
    for order_id in order_ids:
        doc = repo.get(order_id)
        if doc is None:
            continue
        sizes.append(len(bson.encode(doc)))
        process = doc.get("process")
        process_sizes.append(len(process) if isinstance(process, str) else len(bson.encode({"p": process})))
    if not sizes:
        return {"order_doc_bytes": None}
    return {"order_doc_bytes": sizes[-1], "order_doc_bytes_max": max(sizes),
            "order_process_bytes": process_sizes[-1],
            "order_history_inline": len(repo.get(order_ids[-1]).get("history", []))}


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ.setdefault("ESCROW_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    wall_start = time.monotonic()

    from app.api.factory import create_app
    from app.bootstrap import build
    from app.process_models import ORDER_PROCESS
    from app.engine.ceiling import measure_engine_ceiling, run_once

    log(f"building the embedded system ({args.workers} worker thread(s))")
    system = build()
    tracker = Tracker(system.repo)
    # The engine's ceiling while the process is quiet: before the system starts and again after
    # it stopped (a shared VM's speed drifts over a run; the mean of both is what we compare to).
    log(f"engine ceiling ({args.ceiling_instances} instances, bare engine, this process)")
    model = system.catalog.get(system.catalog.latest(ORDER_PROCESS).spec_hash)

    engine, data = system.catalog.engine, system.process_manager._initial_data()
    waiting, _ = run_once(engine, model, HANDLER_VARIABLES, data)
    if waiting.status() != DONE_STATUS:  # the ceiling must run the same path as the sagas
        raise SystemExit(f"engine ceiling: the bare engine stops at {waiting.status()}")

    def measure_ceiling():
        return measure_engine_ceiling(engine, model, HANDLER_VARIABLES, data, args.ceiling_instances)
    ceiling = measure_ceiling()
    system.start_background(workers=args.workers)
    app = create_app(system)
    server = None
    if args.no_http:
        def make_client():
            return TestClient(app)
    else:
        server, _ = start_server(app)
        port = server.server_port

        def make_client():
            return HttpClient(port)
    passports = itertools.count(1)  # next() is atomic under the GIL

    # --- warm up: the consumer group join takes a few seconds ---------------------------------
    log("warming up (consumer group join)")
    warm_client = make_client()
    warm_ids = [warm_client.create(order_body(next(passports)))]
    if not tracker.wait(warm_ids, time.monotonic() + 60):
        raise SystemExit("warm-up: the first order did not reach AWAITING_SIGNATURE within 60 s")
    warm_ids = [warm_client.create(order_body(next(passports))) for _ in range(min(20, args.orders))]
    tracker.wait(warm_ids, time.monotonic() + 60)
    warm_client.close()
    if any(i in tracker.failed for i in warm_ids):
        raise SystemExit(f"warm-up orders failed: {[tracker.failed[i] for i in warm_ids if i in tracker.failed]}")
    log(f"warm ({time.monotonic() - wall_start:.1f} s); timing {args.orders} orders, "
        f"{args.concurrency} clients{' over HTTP' if server else ' (test client)'}")

    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.001, async_mode="disabled")
        # pyinstrument samples the thread that starts it; the workers run elsewhere, so the
        # profile of the whole system is best taken with py-spy (see bench/RESULTS.md)
        profiler.start()

    def timed_phase(orders: int, rate: float) -> dict:
        """Send `orders` creates (closed loop, or paced at `rate`/s) and time them to the end."""
        first = next(passports)
        for _ in range(orders):  # reserve the passports the client process will use
            next(passports)
        cpu0, t0 = time.process_time(), time.perf_counter()
        if server:
            results, errors = run_clients_elsewhere(port, first, orders, args.concurrency, rate)
        else:
            results, errors = run_clients(make_client, itertools.count(first), orders,
                                          args.concurrency, rate)
        api_done = time.perf_counter()
        ids = [r[0] for r in results]
        deadline = time.monotonic() + max(5.0, args.timeout - (time.monotonic() - wall_start))
        all_done = tracker.wait(ids, deadline)
        cpu = time.process_time() - cpu0
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
            "timed_window_s": round(window, 2),
            "ids": [d[0] for d in done],
        }

    # Throughput at saturation: clients send back to back (their latency is queueing there).
    saturated = timed_phase(args.orders, args.rate)
    # Latency below saturation: the same clients paced at a share of that capacity.
    paced_rate = args.latency_rate or round(saturated["sagas_per_s"] * args.latency_load, 1)
    log(f"latency phase: {args.latency_orders} orders at {paced_rate}/s, {args.concurrency} clients")
    paced = timed_phase(args.latency_orders, paced_rate) if args.latency_orders and paced_rate else None
    if profiler:
        profiler.stop()

    sizes = order_doc_size(system.repo, saturated["ids"][-10:])
    rss, rss_peak = rss_mb()
    handled = sum(c.handled for c in system.consumers)
    log("stopping the system")
    if server:
        server.shutdown()
    system.stop()
    ceiling_after = measure_ceiling()
    ceilings = (ceiling["engine_ceiling_per_s"], ceiling_after["engine_ceiling_per_s"])
    ceiling["engine_ceiling_per_s"] = sum(ceilings) / 2

    sagas_per_s = saturated["sagas_per_s"]
    latency = paced or saturated
    report = {
        **{k: v for k, v in saturated.items() if k not in ("ids", "api_error_sample")},
        # the latency figures come from the paced phase when there is one
        **{k: latency[k] for k in ("api_create_p50_ms", "api_create_p99_ms", "api_create_max_ms",
                                   "saga_p50_ms", "saga_p99_ms")},
        "engine_ceiling_per_s": round(ceiling["engine_ceiling_per_s"], 2),
        "engine_ceiling_before_after_per_s": [round(c, 2) for c in ceilings],
        "engine_ceiling_instances": ceiling["engine_ceiling_instances"],
        "engine_steps_per_saga": ceiling["engine_steps_per_saga"],
        "ratio": round(sagas_per_s / ceiling["engine_ceiling_per_s"], 3),
        "saturated": {k: saturated[k] for k in ("api_creates_per_s", "api_create_p50_ms",
                                                "api_create_p99_ms", "saga_p50_ms", "saga_p99_ms")},
        "paced": ({k: v for k, v in paced.items() if k not in ("ids", "api_error_sample")}
                  | {"rate_per_s": paced_rate}) if paced else None,
        "commands_handled": handled,
        "rss_mb": round(rss, 1),
        "rss_peak_mb": round(rss_peak, 1),
        **sizes,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "mode": ("http" if server else "test_client") + (f", open loop {args.rate}/s" if args.rate else ", closed loop"),
        "wall_s": round(time.monotonic() - wall_start, 1),
        "machine": machine(),
    }
    if saturated["api_error_sample"]:
        report["api_error_sample"] = saturated["api_error_sample"]
    if profiler:
        text = profiler.output_html() if args.profile.endswith(".html") else profiler.output_text(unicode=True, show_all=False)
        with open(args.profile, "w") as f:
            f.write(text)
        report["profile"] = args.profile
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # librdkafka threads of the mock cluster may linger; the report is out
