"""Summarise a py-spy raw (collapsed) profile: `python -m bench.profile_report RAW [CPU_MS] [TOP]`.

Record the app's worker process over the saturated phase with `python -m bench.run --profile RAW`
(py-spy --threads, all threads on CPU). Prints, per component (the first of COMPONENTS that a
stack passes through: a sample inside mongomock called by the worker's save counts as
mongomock) and per thread kind, the share of samples; with CPU_MS (the run's cpu_ms_per_saga)
also milliseconds of CPU per saga (spread over the samples that are CPU: not the hand-over gaps). Then the top functions by inclusive and by self share.
"""
import re
import sys
from collections import Counter, defaultdict

# (component, path fragments), in priority order
COMPONENTS = (
    ("logging", ("(logging/", "ecs_logging/", "app/observability/logs.py", "app/observability/events.py",
                 "gunicorn/glogging.py")),
    ("metrics", ("prometheus_client/", "app/observability/metrics.py", "app/observability/http.py")),
    ("mongomock", ("mongomock/", "(bson/", "pymongo/", "mongoengine/", "app/store/mongomock_speedups.py")),
    ("state encode/decode", ("app/store/process_state.py", "app/engine/serializer.py",
                             "SpiffWorkflow/bpmn/serializer/", "SpiffWorkflow/serializer/")),
    ("engine", ("SpiffWorkflow/", "app/engine/")),
    ("kafka client", ("confluent_kafka", "app/messaging/kafka.py")),
    ("signing codes", ("app/signing/",)),
    ("bank simulator, handlers", ("app/adapters/", "handlers/")),
    ("relay (context, encode)", ("app/messaging/outbox.py", "app/messaging/context.py")),
    ("worker bookkeeping", ("app/worker/", "app/domain/plain.py")),
    ("API: services, auth", ("app/services/", "app/api/", "app/web/")),
    ("API: flask, smorest, marshmallow", ("flask/", "flask_smorest/", "webargs/", "marshmallow/", "werkzeug/",
                                          "apispec/", "flask_login/", "flask_babel/", "flask_wtf/", "jinja2/")),
    ("HTTP server (gunicorn)", ("gunicorn/", "selectors.py", "socket.py", "concurrent/futures/")),
)


def parse(path):
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        yield stack.split(";"), int(count)


def thread_kind(frame: str) -> str:
    """'thread (0x7f..): "worker-1"' -> 'worker'; gunicorn's pool threads -> 'API request'."""
    name = frame.split(": ", 1)[-1].strip().strip('"')
    name = re.sub(r"\s*\(.*\)$", "", name)
    if name.startswith("ThreadPoolExecutor"):
        return "API request"
    if name == "MainThread":
        return "gunicorn main"
    return re.sub(r"[-_\d]+$", "", name) or name


# Leaf frames where a thread has just woken another: py-spy (--gil) keeps naming the thread that
# last held the interpreter lock while the lock passes to the woken one, so these samples are the
# hand-over's wall time, not CPU (a notify costs ~1 us of CPU).
HANDOVER = ("Condition.notify ", "Handler.release ", "Event.set ")
HANDOVER_NAME = "(lock hand-over gaps, not CPU)"


def component(frames) -> str:
    if frames and frames[-1].startswith(HANDOVER):
        return HANDOVER_NAME
    for name, fragments in COMPONENTS:
        if any(fragment in frame for frame in frames for fragment in fragments):
            return name
    return "other"


def short(frame: str) -> str:
    # "func (module/path.py:123)" -> "func (path.py)"; drop line numbers to merge samples
    frame = re.sub(r":\d+\)$", ")", frame)
    frame = re.sub(r"\(.*?/(site-packages|lib/python3\.\d+|perf|main)/", "(", frame)
    return frame


def main(path, cpu_ms=None, top=25):
    total = 0
    by_thread, by_component, inclusive, selfc = Counter(), Counter(), Counter(), Counter()
    matrix = defaultdict(Counter)
    for frames, count in parse(path):
        total += count
        kind, comp = thread_kind(frames[0]), component(frames[1:])
        by_thread[kind] += count
        by_component[comp] += count
        matrix[comp][kind] += count
        seen = set()
        for f in frames[1:]:
            s = short(f)
            if s not in seen:
                inclusive[s] += count
                seen.add(s)
        selfc[short(frames[-1])] += count

    cpu_samples = total - by_component[HANDOVER_NAME]

    def fmt(n):
        share = 100 * n / total
        return f"{share:5.1f}%" + (f" {cpu_ms * n / cpu_samples:5.2f} ms" if cpu_ms else "")

    kinds = [k for k, _ in by_thread.most_common()]
    print(f"samples: {total}" + (f"; {cpu_ms} CPU ms per saga" if cpu_ms else ""))
    print("\n== by thread ==")
    for k, v in by_thread.most_common():
        print(f"{fmt(v)}  {k}")
    print("\n== by component (columns: threads) ==")
    print(f"{'':14}  {'component':34} " + " ".join(f"{k[:12]:>12}" for k in kinds))
    for comp, v in by_component.most_common():
        cells = " ".join(f"{100 * matrix[comp][k] / total:11.1f}%" for k in kinds)
        print(f"{fmt(v):14}  {comp:34} {cells}")
    print("\n== inclusive ==")
    for k, v in inclusive.most_common(top):
        print(f"{fmt(v)}  {k}")
    print("\n== self ==")
    for k, v in selfc.most_common(top):
        print(f"{fmt(v)}  {k}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None,
         int(sys.argv[3]) if len(sys.argv) > 3 else 25)
