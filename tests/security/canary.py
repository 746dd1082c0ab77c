"""Canaries: audit events (PEP 578) raised by this thread while sandboxed code runs.

Opening a file, importing, reaching a frame (sys._getframe), creating code or functions from
code objects, spawning a process or opening a socket all raise audit events; a sandboxed
evaluation may raise only the two its own machinery does (compile of the source, exec of the
compiled code).
"""
import sys
import threading

ALLOWED = frozenset({"compile", "exec"})
_local = threading.local()


def _hook(event, args):
    events = getattr(_local, "events", None)
    if events is not None and event not in ALLOWED:
        events.append(event)


sys.addaudithook(_hook)


class audited:
    """with audited() as events: ... -> the audit events this thread raised meanwhile."""

    def __enter__(self) -> list:
        _local.events = []
        return _local.events

    def __exit__(self, *exc):
        _local.events = None
        return False
