"""The same 7-step order saga on a real Temporal dev server, for comparison with escrow-bpmn.

Runs in its own virtual environment (never a project dependency):

    python3 -m venv var/peers && var/peers/bin/pip install -r bench/peers/requirements.txt
    var/peers/bin/python -m bench.peers.temporal_saga --sagas 1000

It starts `temporal server start-dev` (in memory, headless) on free ports, a worker in a
process of its own, and a client that keeps `--in-flight` workflows running. Each workflow is
the saga of bpmn/order_creation.bpmn on the "new client" path, as a Temporal saga: compliance
check, client look-up, create the client, reserve the escrow account, bind it to the
developer, create the depositor order, send the signing code; every step an activity with a
retry policy, compensations registered as it goes (run in reverse on failure). The activities
call the same in-process simulated bank (app/adapters/bank/simulated.py) our handlers call,
with the same idempotency keys. Prints one JSON object: sagas/s, and CPU ms per saga of the
Temporal server plus the worker (read from /proc), like `make bench` prints its own.
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

TASK_QUEUE = "escrow-saga"
STEP = {"start_to_close_timeout": timedelta(seconds=30),
        "retry_policy": RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))}


# --- the workflow (deterministic; activities by name, so the sandbox imports nothing else) ---
@workflow.defn(name="OrderSaga")
class OrderSaga:
    @workflow.run
    async def run(self, order: dict) -> str:
        undo: list[tuple[str, dict]] = []
        key = order["id"]
        try:
            await workflow.execute_activity("compliance_check", order, **STEP)
            match = await workflow.execute_activity("find_client", order, **STEP)
            if match["client_id"] is None:
                match = await workflow.execute_activity("create_client", {**order, "key": key + "/client"}, **STEP)
                undo.append(("deactivate_client", {"client_id": match["client_id"], "key": key + "/client/undo"}))
            client_id = match["client_id"]
            account = await workflow.execute_activity(
                "reserve_account", {**order, "client_id": client_id, "key": key + "/reserve"}, **STEP)
            undo.append(("release_account", {"account": account, "key": key + "/reserve/undo"}))
            binding = await workflow.execute_activity(
                "bind_account", {**order, "account": account, "key": key + "/bind"}, **STEP)
            undo.append(("unbind_account", {"binding": binding, "key": key + "/bind/undo"}))
            depositor_order = await workflow.execute_activity(
                "create_depositor_order", {**order, "client_id": client_id, "account": account,
                                           "key": key + "/order"}, **STEP)
            undo.append(("cancel_depositor_order", {"id": depositor_order, "key": key + "/order/undo"}))
            await workflow.execute_activity("send_code", order, **STEP)
            return "AWAITING_SIGNATURE"
        except Exception:
            for name, args in reversed(undo):
                await workflow.execute_activity(name, args, **STEP)
            return "ROLLED_BACK"


def root() -> Path:
    """The repository (not at import: Temporal's workflow sandbox re-imports this module)."""
    return Path(__file__).resolve().parents[2]


# --- the activities: the simulated bank our handlers call ------------------------------------
def make_activities():
    sys.path.insert(0, str(root()))
    from app.adapters.bank.simulated import SimulatedBank
    from app.adapters.sms.outbox import DevOutbox
    bank, sms = SimulatedBank(), DevOutbox()
    depositor = lambda o: o["data"]["depositor"]  # noqa: E731

    @activity.defn(name="compliance_check")
    async def compliance_check(order: dict) -> dict:
        return bank.check_compliance(depositor(order))

    @activity.defn(name="find_client")
    async def find_client(order: dict) -> dict:
        passport = depositor(order)["passport"]
        found = bank.find_clients_by_document(passport["series"], passport["number"])
        return {"client_id": found[0]["client_id"] if len(found) == 1 else None}

    @activity.defn(name="create_client")
    async def create_client(args: dict) -> dict:
        return {"client_id": bank.create_client(dict(depositor(args)), order_id=args["id"],
                                                idempotency_key=args["key"])}

    @activity.defn(name="reserve_account")
    async def reserve_account(args: dict) -> str:
        return bank.reserve_escrow_account(args["id"], args["client_id"], args["data"]["amount"],
                                           args["data"]["escrow_until"], idempotency_key=args["key"])

    @activity.defn(name="bind_account")
    async def bind_account(args: dict) -> str:
        project = args["project"]
        return bank.bind_to_developer(args["account"], project["developer_account"], project["id"],
                                      idempotency_key=args["key"])

    @activity.defn(name="create_depositor_order")
    async def create_depositor_order(args: dict) -> str:
        return bank.create_depositor_order(args["id"], args["client_id"], args["account"],
                                           args["data"]["amount"], args["data"]["agreement"],
                                           idempotency_key=args["key"])

    @activity.defn(name="send_code")
    async def send_code(order: dict) -> str:
        return sms.send(depositor(order)["phone"], "your signing code is 123456", order_id=order["id"])

    @activity.defn(name="deactivate_client")
    async def deactivate_client(args: dict) -> None:
        bank.deactivate_client(args["client_id"], idempotency_key=args["key"])

    @activity.defn(name="release_account")
    async def release_account(args: dict) -> None:
        bank.release_escrow_account(args["account"], idempotency_key=args["key"])

    @activity.defn(name="unbind_account")
    async def unbind_account(args: dict) -> None:
        bank.unbind(args["binding"], idempotency_key=args["key"])

    @activity.defn(name="cancel_depositor_order")
    async def cancel_depositor_order(args: dict) -> None:
        bank.cancel_depositor_order(args["id"], idempotency_key=args["key"])

    return [compliance_check, find_client, create_client, reserve_account, bind_account,
            create_depositor_order, send_code, deactivate_client, release_account,
            unbind_account, cancel_depositor_order]


async def run_worker(address: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker
    client = await Client.connect(address)
    worker = Worker(client, task_queue=TASK_QUEUE, workflows=[OrderSaga], activities=make_activities(),
                    max_concurrent_activities=200, max_concurrent_workflow_tasks=200)
    await worker.run()


# --- the driver -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def order(n: int) -> dict:
    sys.path.insert(0, str(root()))
    from app.adapters.bank.seed import PROJECTS
    from bench.load import order_body
    body = order_body(n)
    project = next(p for p in PROJECTS if p["id"] == body["project_id"])
    return {"id": f"ord_peer_{n:08d}", "data": body,
            "project": {"id": project["id"], "developer_account": project["developer_account"]}}


async def drive(address: str, sagas: int, in_flight: int, first: int) -> tuple[list[float], dict]:
    from temporalio.client import Client
    client = await Client.connect(address)
    gate, latencies, outcomes = asyncio.Semaphore(in_flight), [], {}

    async def one(n: int):
        async with gate:
            started = time.perf_counter()
            result = await client.execute_workflow("OrderSaga", order(n), id=f"saga-{n}",
                                                   task_queue=TASK_QUEUE)
            latencies.append(time.perf_counter() - started)
            outcomes[result] = outcomes.get(result, 0) + 1
    await asyncio.gather(*(one(n) for n in range(first, first + sagas)))
    return latencies, outcomes


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"the Temporal dev server did not listen on {port} within {timeout} s")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.peers.temporal_saga", description=__doc__.split("\n")[0])
    p.add_argument("--sagas", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--in-flight", type=int, default=50, help="workflows running at once")
    p.add_argument("--worker", metavar="ADDRESS", help=argparse.SUPPRESS)  # the worker process
    args = p.parse_args(argv)
    if args.worker:
        asyncio.run(run_worker(args.worker))
        return {}
    port = free_port()
    server = subprocess.Popen(["temporal", "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                               "--port", str(port), "--http-port", str(free_port()),
                               "--metrics-port", str(free_port()), "--log-level", "error"],
                              env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
                              stdout=subprocess.DEVNULL)
    worker = None
    try:
        wait_for_port(port)
        address = f"127.0.0.1:{port}"
        worker = subprocess.Popen([sys.executable, "-m", "bench.peers.temporal_saga", "--worker", address],
                                  cwd=root())
        asyncio.run(drive(address, args.warmup, args.in_flight, 0))  # connections, caches, JIT of the server
        cpu0 = cpu_seconds(server.pid) + cpu_seconds(worker.pid)
        started = time.perf_counter()
        latencies, outcomes = asyncio.run(drive(address, args.sagas, args.in_flight, args.warmup))
        window = time.perf_counter() - started
        cpu = cpu_seconds(server.pid) + cpu_seconds(worker.pid) - cpu0
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.terminate()
                proc.wait(20)
    latencies.sort()
    report = {"peer": "temporal", "sagas": args.sagas, "in_flight": args.in_flight, "outcomes": outcomes,
              "sagas_per_s": round(args.sagas / window, 2),
              "cpu_ms_per_saga": round(cpu * 1000 / args.sagas, 1),
              "saga_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
              "saga_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
              "window_s": round(window, 2)}
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
