"""Fault injection for the simulated adapters, keyed by operation (= handler) name.

One injector may be shared by the bank simulator and the dev SMS outbox, so a single dev
endpoint can break any step: set("escrow.reserve_account", 2) fails its next two calls.
"""
import threading
import time


class InjectedFault(Exception):
    """Raised by `check`; each adapter turns it into its own transient error."""


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: dict[str, dict] = {}

    def set(self, operation: str, fail_times: int, latency_ms: int = 0,
            after_effect: bool = False) -> None:
        """fail_times: N>0 fail the next N calls, -1 always, 0 clear (latency may remain).
        after_effect: the call does its work and then fails (a timeout after the effect)."""
        if fail_times < -1:
            raise ValueError("fail_times must be -1, 0 or positive")
        with self._lock:
            if fail_times == 0 and not latency_ms:
                self._faults.pop(operation, None)
            else:
                self._faults[operation] = {"fail_times": fail_times, "latency_ms": latency_ms,
                                           "after_effect": after_effect}

    def get(self) -> dict[str, dict]:
        with self._lock:
            return {op: dict(f) for op, f in self._faults.items()}

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, operation: str) -> None:
        """Sleep the configured latency (call it outside any adapter lock)."""
        with self._lock:
            latency = self._faults.get(operation, {}).get("latency_ms", 0)
        if latency:
            time.sleep(latency / 1000)

    def take(self, operation: str) -> dict | None:
        """Consume one failure for `operation`: the fault dict if this call must fail."""
        with self._lock:
            fault = self._faults.get(operation)
            if not fault or fault["fail_times"] == 0:
                return None
            if fault["fail_times"] > 0:
                fault["fail_times"] -= 1
                if fault["fail_times"] == 0 and not fault["latency_ms"]:
                    del self._faults[operation]
            return dict(fault)

    def check(self, operation: str) -> None:
        self.delay(operation)
        if self.take(operation):
            raise InjectedFault(f"injected fault in {operation}")
