"""The body limit under the production server: gunicorn with its production configuration
(app/gunicorn_conf.py: gthread, keep-alive) on a free port. A 200 MB body with a valid token is
answered 413 while it is still being sent, the worker's memory stays flat, and it serves on."""
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
HUGE = 200 * 1024 * 1024
CHUNK = 64 * 1024
TOKEN = "demo-manager-1"


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ESCROW_")},
           "GUNICORN_BIND": "127.0.0.1:0"}
    with open(log, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf",
                                    "wsgi:app"],
                                   cwd=ROOT, env=env, stderr=err, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            text = log.read_text()
            port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            worker = re.search(r"Booting worker with pid: (\d+)", text)
            if port and worker:
                base = f"http://127.0.0.1:{port.group(1)}"
                try:
                    if requests.get(base + "/healthz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:  # still starting
                    pass
            assert process.poll() is None and time.monotonic() < deadline, text[-3000:]
            time.sleep(0.2)
        yield base, int(port.group(1)), int(worker.group(1))
    finally:
        process.terminate()
        process.wait(timeout=30)


def head(port: int, extra: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall((f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                  f"Content-Type: application/json\r\n{extra}\r\n").encode())
    return sock


def status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data.split(b"\r\n")[0]


def test_a_declared_huge_body_is_413_at_once(server):
    _, port, _ = server
    with head(port, f"Content-Length: {HUGE}\r\n") as sock:  # headers only: nothing of the body
        assert status_line(sock).startswith(b"HTTP/1.1 413")


def test_a_chunked_huge_body_is_413_and_memory_stays_flat(server):
    base, port, worker = server
    before = rss_bytes(worker)
    sent, answer = 0, []
    with head(port, "Transfer-Encoding: chunked\r\n") as sock:
        reader = threading.Thread(target=lambda: answer.append(status_line(sock)), daemon=True)
        reader.start()
        chunk = f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n"
        try:
            while sent < HUGE and not answer:
                sock.sendall(chunk)
                sent += CHUNK
        except OSError:  # the server closed the connection: it reads no more
            pass
        reader.join(timeout=30)
    grown = rss_bytes(worker) - before
    print(f"\nchunked 200 MB body: {sent / 2**20:.1f} MiB sent before the answer, worker RSS "
          f"{before / 2**20:.0f} MiB -> {(before + grown) / 2**20:.0f} MiB")
    assert answer and answer[0].startswith(b"HTTP/1.1 413"), answer
    assert sent < HUGE / 4  # answered long before the body ended
    assert grown < 64 * 2**20  # the body was never held in memory (it was +568 MB)
    assert requests.get(base + "/api/v1/orders", headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=10).status_code == 200
