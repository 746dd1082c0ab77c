"""Keep the Python threads of the embedded default's process (saga workers, outbox relay,
scheduler, request threads) on one CPU.

They take turns holding one interpreter lock, so a second CPU adds nothing to their work.
Spread over CPUs, each hand-over of the lock moves the interpreter's shared state (reference
counts of common objects, module dictionaries) between the CPUs' caches, and a thread that
wakes up on the other CPU finds its objects cold there. The other CPUs are left to what runs
without the lock: librdkafka's threads (the embedded Kafka and the clients), the kernel.
Measured on the embedded default (bench/RESULTS.md): background threads pinned, 12.0 instead
of 12.8-15.2 CPU ms per saga; request threads pinned too, 5 % more sagas/s and a lower p99.
"""
import logging
import os
import threading

log = logging.getLogger(__name__)


def background_cpu(setting: str, embedded: bool, pid: int | None = None) -> int | None:
    """The CPU for background threads: `setting` "off", a CPU number, or "auto" (on the embedded
    default, one of the CPUs this process may use, by process id so that several processes on
    one machine spread; in production off: an orchestrator places processes, and containers
    often share a process id)."""
    if setting == "off" or not hasattr(os, "sched_getaffinity"):
        return None
    if setting != "auto":
        return int(setting)
    allowed = sorted(os.sched_getaffinity(0))
    if not embedded or len(allowed) < 2:
        return None
    return allowed[(pid if pid is not None else os.getpid()) % len(allowed)]


_pinned = threading.local()


def pin_this_thread_once(cpu: int | None) -> None:
    """pin_this_thread for a thread of a pool (a request thread): only its first call pins."""
    if getattr(_pinned, "cpu", None) != cpu:
        pin_this_thread(cpu)
        _pinned.cpu = cpu


def pin_this_thread(cpu: int | None) -> None:
    """Run the calling thread on `cpu` only (None: leave it where the system puts it)."""
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})  # 0: the calling thread
    except OSError as error:  # a CPU this process may not use: leave the thread free
        log.warning("background threads stay unpinned: CPU %s: %s", cpu, error)
