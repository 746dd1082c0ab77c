"""Background threads on one CPU (app.affinity)."""
import os
import threading

import pytest

from app import affinity

ALLOWED = sorted(os.sched_getaffinity(0))


def test_the_cpu_is_chosen_only_where_it_helps():
    assert affinity.background_cpu("off", embedded=True) is None
    assert affinity.background_cpu("auto", embedded=False) is None  # production: the orchestrator's
    assert affinity.background_cpu("3", embedded=False) == 3
    if len(ALLOWED) >= 2:
        chosen = {affinity.background_cpu("auto", embedded=True, pid=pid) for pid in range(8)}
        assert chosen == set(ALLOWED[:8])  # processes spread over the CPUs they may use
    else:
        assert affinity.background_cpu("auto", embedded=True) is None


def test_a_pinned_thread_runs_on_its_cpu_only_and_others_stay_free():
    cpu, seen = ALLOWED[-1], {}

    def background():
        affinity.pin_this_thread(cpu)
        seen["background"] = os.sched_getaffinity(0)

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["background"] == {cpu}
    assert sorted(os.sched_getaffinity(0)) == ALLOWED  # the calling thread is not moved


def test_a_pooled_thread_is_pinned_by_its_first_call_only(monkeypatch):
    calls, seen = [], {}
    real = affinity.pin_this_thread
    monkeypatch.setattr(affinity, "pin_this_thread", lambda cpu: (calls.append(cpu), real(cpu)))

    def request_thread():
        for _ in range(3):  # three requests on one thread of the pool
            affinity.pin_this_thread_once(ALLOWED[0])
        seen["cpus"] = os.sched_getaffinity(0)

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join()
    assert calls == [ALLOWED[0]] and seen["cpus"] == {ALLOWED[0]}
    affinity.pin_this_thread_once(None)  # production: no CPU chosen, nothing pinned
    assert calls == [ALLOWED[0]]


def test_a_cpu_out_of_reach_leaves_the_thread_free(caplog):
    seen = {}

    def background():
        affinity.pin_this_thread(max(ALLOWED) + 4096)
        seen["cpus"] = os.sched_getaffinity(0)

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert sorted(seen["cpus"]) == ALLOWED
    assert "stay unpinned" in caplog.text


@pytest.fixture(autouse=True)
def _unchanged():
    yield
    assert sorted(os.sched_getaffinity(0)) == ALLOWED
