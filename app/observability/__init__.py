"""Operations: what an operator sees of the application.

metrics.py  the Prometheus metrics (a contract: names, types, labels)
gauges.py   gauges read at scrape time from the store and Kafka
saga.py     saga events -> metrics and log events (committed history entries, step attempts)
http.py     Flask hooks: request duration by route template, a log line, the trace context
events.py   log events built from an allow-list of fields
logs.py     one ECS JSON object per line (ecs-logging), libraries at WARNING
trace.py    W3C trace context from the HTTP request through Kafka into the worker
server.py   a worker's /metrics, /healthz, /readyz
"""
