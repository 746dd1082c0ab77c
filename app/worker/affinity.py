"""Keep a process's background threads (saga workers, outbox relay, scheduler) on one CPU.

They take turns holding one interpreter lock, so a second CPU adds nothing to their work.
Spread over CPUs, each hand-over of the lock moves the interpreter's shared state (reference
counts of common objects, module dictionaries) between the CPUs' caches, and a worker thread
that wakes up on the other CPU finds its saga's objects cold there. API threads stay free: a
request is taken by whichever CPU is idle. Measured on the embedded default (bench/RESULTS.md):
a fifth less CPU per saga and a quarter more sagas/s on 2 CPUs.
"""
import logging
import os

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


def pin_this_thread(cpu: int | None) -> None:
    """Run the calling thread on `cpu` only (None: leave it where the system puts it)."""
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})  # 0: the calling thread
    except OSError as error:  # a CPU this process may not use: leave the thread free
        log.warning("background threads stay unpinned: CPU %s: %s", cpu, error)
