"""The application's Prometheus metrics: names, types and labels are a contract (issue 18)
that the alert rules (deploy/prometheus) and the dashboard (deploy/grafana) rely on.

Every process exposes them: the API on /metrics, each worker on ESCROW_METRICS_PORT.
Label values:
- `outcome` of a step: STEP_OK for success; any other value is a failure of that attempt
  ("transient": it will be retried, "business": the model handles the error, "error": an
  unexpected failure). Of a compensation: COMPENSATION_OK or "failed".
- `overdue` of a back-office task: "true" or "false".
- `route` of an HTTP request: the route template (`/api/v1/orders/<order_id>`), never a path
  with ids in it, so the number of series stays bounded.
"""
from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # no `*_created` series: nothing here reads them

STEP_OK = "ok"
COMPENSATION_OK = "ok"

# Seconds: bank calls take milliseconds to seconds; a step with injected latency up to a minute.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

ORDERS = Gauge("escrow_orders", "Orders by current status.", ["status"])
ORDERS_CREATED = Counter("escrow_orders_created", "Orders created, by developer company.",
                         ["company"])
STEP_DURATION = Histogram("escrow_saga_step_duration_seconds",
                          "Duration of one attempt of a saga step (a bank call), by outcome.",
                          ["step", "outcome"], buckets=STEP_BUCKETS)
STEP_RETRIES = Counter("escrow_saga_step_retries", "Retries scheduled for a failed saga step.",
                       ["step"])
COMPENSATIONS = Counter("escrow_compensations", "Compensations run for a completed step, by outcome.",
                        ["step", "outcome"])
INCIDENTS_OPEN = Gauge("escrow_incidents_open", "Open incidents waiting for an operator.")
BACKOFFICE_TASKS_OPEN = Gauge("escrow_backoffice_tasks_open",
                              "Open back-office tasks, by whether their SLA has passed.", ["overdue"])
OUTBOX_BACKLOG = Gauge("escrow_outbox_backlog",
                       "Events committed in order documents and not yet published to Kafka.")
KAFKA_CONSUMER_LAG = Gauge("escrow_kafka_consumer_lag",
                           "Messages of a partition the consumer group has not committed yet.",
                           ["topic", "partition"])
DEAD_LETTERS = Counter("escrow_dead_letters", "Messages sent to the dead-letter topic.")
HTTP_REQUEST_DURATION = Histogram("escrow_http_request_duration_seconds",
                                  "API request duration, by route template, method and status.",
                                  ["route", "method", "status"], buckets=HTTP_BUCKETS)

ALL = (ORDERS, ORDERS_CREATED, STEP_DURATION, STEP_RETRIES, COMPENSATIONS, INCIDENTS_OPEN,
       BACKOFFICE_TASKS_OPEN, OUTBOX_BACKLOG, KAFKA_CONSUMER_LAG, DEAD_LETTERS,
       HTTP_REQUEST_DURATION)


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
            else:
                names[family.name] = labels
    return names
