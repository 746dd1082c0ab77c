"""The application's Prometheus metrics: names, types and labels are a contract (issue 18)
that the alert rules (deploy/prometheus) and the dashboard (deploy/grafana) rely on.

Every process exposes them: the API on /metrics, each worker on ESCROW_METRICS_PORT.
Label values:
- `outcome` of a step: STEP_OK for success; any other value is a failure of that attempt
  ("transient": it will be retried, "business": the model handles the error, "error": an
  unexpected failure). Of a compensation: COMPENSATION_OK or "failed".
- `overdue` of a back-office task: "true" or "false".
- `result` of a signing attempt: "accepted", or the reason the code was refused ("wrong_code",
  "expired", "no_attempts_left", "no_code").
- `route` of an HTTP request: the route template (`/api/v1/orders/<order_id>`), never a path
  with ids in it, so the number of series stays bounded.
"""
from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # no `*_created` series: nothing here reads them

STEP_OK = "ok"
STEP_OUTCOMES = (STEP_OK, "transient", "business", "error")
COMPENSATION_OK = "ok"
COMPENSATION_OUTCOMES = (COMPENSATION_OK, "failed")

# Seconds: bank calls take milliseconds to seconds; a step with injected latency up to a minute.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

ORDERS_CREATED = Counter("escrow_orders_created", "Orders created, by developer company.",
                         ["company"])
STEP_DURATION = Histogram("escrow_saga_step_duration_seconds",
                          "Duration of one attempt of a saga step (a bank call), by outcome.",
                          ["step", "outcome"], buckets=STEP_BUCKETS)
STEP_RETRIES = Counter("escrow_saga_step_retries", "Retries of a saga step (attempts after the first).",
                       ["step"])
COMPENSATIONS = Counter("escrow_compensations",
                        "Compensations of a completed step, by outcome (ok, or failed for good).",
                        ["step", "outcome"])
SIGNING_ATTEMPTS = Counter("escrow_signing_attempts",
                           "Codes submitted by buyers, by result (accepted, or why refused).", ["result"])
DEAD_LETTERS = Counter("escrow_dead_letters", "Messages sent to the dead-letter topic.")
HTTP_REQUEST_DURATION = Histogram("escrow_http_request_duration_seconds",
                                  "API request duration, by route template, method and status.",
                                  ["route", "method", "status"], buckets=HTTP_BUCKETS)
HTTP_CONNECTIONS = Counter("escrow_http_connections", "HTTP connections the API server accepted "
                           "(requests per connection shows whether clients keep them alive).")

# Counted and timed where things happen (app.observability.saga, .http). A step's series are
# created at 0 with every outcome when a model with the step is loaded: rate() sees the first
# failures then (a series that appears at 6 looks like no increase at all).
ALL = (ORDERS_CREATED, STEP_DURATION, STEP_RETRIES, COMPENSATIONS, SIGNING_ATTEMPTS, DEAD_LETTERS,
       HTTP_REQUEST_DURATION, HTTP_CONNECTIONS)

# Gauges read at scrape time from the store and from Kafka (app.observability.gauges): every
# process exports the same values, so rules aggregate them with max(). name -> (help, labels)
GAUGES = {
    "escrow_orders": ("Orders by current status.", ("status",)),
    "escrow_incidents_open": ("Open incidents waiting for an operator.", ()),
    "escrow_backoffice_tasks_open": ("Open back-office tasks, by whether their SLA has passed.", ("overdue",)),
    "escrow_backoffice_task_age_seconds": ("Age of the oldest open back-office task (0: none open).", ()),
    "escrow_outbox_backlog": ("Events committed in order documents and not yet published to Kafka.", ()),
    "escrow_kafka_consumer_lag": ("Messages of a partition the consumer group has not committed yet.",
                                  ("topic", "partition")),
}


def exposed_names() -> dict[str, tuple[str, ...]]:
    """Every series name the exposition carries (histogram `_bucket`/`_sum`/`_count`,
    counter `_total`) with the labels it has: what PromQL may select."""
    names = {}
    for metric in ALL:
        for family in metric.describe():
            labels = tuple(metric._labelnames)  # prometheus-client has no public accessor
            if family.type == "histogram":
                names[f"{family.name}_bucket"] = labels + ("le",)
                names[f"{family.name}_sum"] = names[f"{family.name}_count"] = labels
            elif family.type == "counter":
                names[f"{family.name}_total"] = labels
    for name, (_help, labels) in GAUGES.items():
        names[name] = labels
    return names
