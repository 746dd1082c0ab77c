"""The load generator: client threads creating orders over HTTP, one keep-alive connection each,
closed loop or paced; run in a process of its own so it does not share the app's CPU accounting."""
import http.client
import itertools
import json
import threading
import time

TOKEN = "demo-manager-1"


class CountedConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection that counts how often it (re)connects."""
    connects = 0

    def connect(self):
        self.connects += 1
        super().connect()


class HttpClient:
    """One keep-alive connection, reopened only when the server closed it (`connections`)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = CountedConnection("127.0.0.1", port, timeout=30)
        self.closed_connects = 0

    def create(self, body: dict, key: str) -> str:
        """POST one order; `key` (Idempotency-Key) makes the one resend after a dropped
        connection safe, as a well-behaved client's would be."""
        payload = json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                   "Idempotency-Key": key}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", "/api/v1/orders", body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt == 2:
                    raise
                self.conn.close()
                self.closed_connects += self.conn.connects
                self.conn = CountedConnection("127.0.0.1", self.port, timeout=30)
        if response.status != 202:
            raise RuntimeError(f"create: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data)["id"]

    @property
    def connections(self) -> int:
        return self.closed_connects + self.conn.connects

    def close(self):
        self.conn.close()


def order_body(n: int) -> dict:
    """A valid order with a passport no other order uses (series 47xx/48xx: not in the seeds)."""
    from tests.e2e.harness import order_body as e2e_body
    return e2e_body(passport=(f"{4700 + n // 1_000_000:04d}", f"{n % 1_000_000:06d}"))


def run_clients(make_client, passports, orders: int, concurrency: int, rate: float):
    """Closed loop (or paced open loop): returns [(order_id, sent, answered)], errors and the
    number of connections the clients opened."""
    counter = itertools.count()
    results, errors, lock = [], [], threading.Lock()
    connections = []
    start = time.perf_counter()
    per_client_interval = concurrency / rate if rate > 0 else 0.0

    def client(k: int):
        c = make_client()
        next_at = start + k * (per_client_interval / max(concurrency, 1))
        try:
            while True:
                i = next(counter)
                if i >= orders:
                    return
                if per_client_interval:
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    next_at += per_client_interval
                n = next(passports)
                body = order_body(n)
                sent = time.perf_counter()
                try:
                    order_id = c.create(body, f"bench-{n}")
                except Exception as error:  # keep going; count it
                    with lock:
                        errors.append(repr(error))
                    continue
                answered = time.perf_counter()
                with lock:
                    results.append((order_id, sent, answered))
        finally:
            c.close()
            with lock:
                connections.append(c.connections)

    threads = [threading.Thread(target=client, args=(k,), name=f"client-{k}") for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors, sum(connections)


def _clients_process(port: int, first_passport: int, orders: int, concurrency: int, rate: float):
    """Runs in a process of its own, so the load generator does not compete with the app for
    the interpreter lock. perf_counter is the system-wide monotonic clock on Linux, so its
    timestamps compare with the app's."""
    return run_clients(lambda: HttpClient(port), itertools.count(first_passport), orders,
                       concurrency, rate)


def run_clients_elsewhere(port: int, first_passport: int, orders: int, concurrency: int, rate: float):
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_clients_process, (port, first_passport, orders, concurrency, rate))
