"""W3C trace context (`traceparent`) carried from an HTTP request through Kafka into the worker.

The API starts a unit of work per request (continuing the caller's `traceparent`, else a new
trace); commands queued in an order's outbox keep the context as message headers, which the
relay publishes with them; the consumer continues it around each command, and the scheduler's
wake-ups carry the context of the write that scheduled them. The log formatter writes the
current `trace.id` and `transaction.id` on every line, so one trace id follows an order from the
request to the worker's last step.

OpenTelemetry's API holds the context and parses and writes the header; no spans are recorded
(no SDK): an SDK added later would see the same context.
"""
import contextlib
import random

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

HEADER = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()


def begin(carrier=None):
    """Start a unit of work (a request, a command) in this thread: the caller's trace when
    `carrier` (HTTP headers, a dict) holds a valid `traceparent`, else a new one. A token for end()."""
    parent = otel_trace.get_current_span(_PROPAGATOR.extract(carrier or {})).get_span_context()
    trace_id = parent.trace_id if parent.is_valid else random.getrandbits(128) or 1
    span = SpanContext(trace_id=trace_id, span_id=random.getrandbits(64) or 1, is_remote=False,
                       trace_flags=parent.trace_flags if parent.is_valid else TraceFlags(TraceFlags.SAMPLED))
    return otel_context.attach(otel_trace.set_span_in_context(NonRecordingSpan(span)))


def end(token) -> None:
    otel_context.detach(token)


@contextlib.contextmanager
def continued(kafka_headers):
    """Around one consumed message: its `traceparent` header (a list of (key, bytes) pairs, as
    confluent-kafka gives them) continued, else a new trace."""
    carrier = {key: value.decode("latin-1") for key, value in kafka_headers or () if key == HEADER and value}
    token = begin(carrier)
    try:
        yield
    finally:
        end(token)


def ids() -> tuple[str, str] | None:
    """(trace id, this unit's id) in hex, or None outside any unit of work."""
    span = otel_trace.get_current_span().get_span_context()
    if not span.is_valid:
        return None
    return otel_trace.format_trace_id(span.trace_id), otel_trace.format_span_id(span.span_id)


def headers() -> dict[str, str] | None:
    """The current context as message headers ({"traceparent": ...}), or None outside one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier or None


def outbox_fields() -> dict:
    """Fields of an outbox event that carry the current context: the relay publishes an event's
    `headers` with it."""
    found = headers()
    return {"headers": found} if found else {}
