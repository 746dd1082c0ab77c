"""HTTP requests of the API and the pages: duration by route template, method and status, a log
line per request, and the trace context (W3C `traceparent`) the request's work runs in.

The route label and the logged route are the matched rule (`/api/v1/orders/<order_id>`), never
the path: a path holds ids, and a query string may hold a search for a buyer's name.
"""
import logging
import time

from flask import Flask, g, request

from app.observability import events, metrics, trace

UNMATCHED = "unmatched"          # no route: 404s and 405s share one series
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
QUIET_ENDPOINTS = ("health.", "static")  # probes, scrapes and assets: measured, not logged


def instrument(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_measure)
    app.teardown_request(_end)


def _begin() -> None:
    g.escrow_started = time.perf_counter()
    g.escrow_trace = trace.begin(request.headers)


def _measure(response):
    started = g.pop("escrow_started", None)
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule else UNMATCHED
    method = request.method if request.method in METHODS else "OTHER"  # any token is a method
    metrics.HTTP_REQUEST_DURATION.labels(route=route, method=method,
                                         status=str(response.status_code)).observe(elapsed)
    if not (request.endpoint or "").startswith(QUIET_ENDPOINTS):
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        events.emit(level, "http.request", "{method} {route} {status_code}", route=route,
                    method=method, status_code=response.status_code,
                    duration_ns=int(elapsed * 1e9), order_id=(request.view_args or {}).get("order_id"),
                    outcome="failure" if response.status_code >= 500 else "success")
    return response


def _end(_error=None) -> None:
    token = g.pop("escrow_trace", None)
    if token is not None:
        trace.end(token)
