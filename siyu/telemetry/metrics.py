"""Prometheus metrics shared by the API and the workers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

registry = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "siyu_http_requests_total",
    "HTTP requests by route template, method and status",
    ["method", "route", "status"],
    registry=registry,
)
http_latency = Histogram(
    "siyu_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=registry,
)
jobs_total = Counter(
    "siyu_jobs_total",
    "Jobs run by name and outcome (done, retry, dead)",
    ["job", "outcome"],
    registry=registry,
)
job_duration = Histogram(
    "siyu_job_duration_seconds",
    "Job run time by name",
    ["job"],
    registry=registry,
)
queue_depth = Gauge(
    "siyu_queue_depth",
    "Durable work rows by state (read at scrape time)",
    ["state"],
    registry=registry,
)
callbacks_total = Counter(
    "siyu_callbacks_total",
    "WeCom callbacks at the gateway by outcome (stored, duplicate, verified, or a reject reason)",
    ["outcome"],
    registry=registry,
)
inbox_events_total = Counter(
    "siyu_inbox_events_total",
    "Inbox events processed by event, change type and outcome (handled, failed, dead, unsupported)",
    ["event", "change_type", "outcome"],
    registry=registry,
)
wecom_calls_total = Counter(
    "siyu_wecom_calls_total",
    "HTTP attempts toward WeCom by API and errcode (ok, a WeCom errcode, or -2 for network/5xx)",
    ["api", "errcode"],
    registry=registry,
)
wecom_call_duration = Histogram(
    "siyu_wecom_call_duration_seconds",
    "Duration of HTTP attempts toward WeCom by API",
    ["api"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=registry,
)
