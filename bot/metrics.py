"""Prometheus metrics: one registry, defined here, incremented where things happen.

Why a library: the text exposition format, histogram buckets and label escaping are fiddly and
prometheus-client is the reference implementation. Everything goes into :data:`REGISTRY` (not the
global default registry), so several app instances in one process (tests, the demo) stay separate
only in what they *report*; counters are process-wide by design.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600, 1800)

DETECT_TO_FIRST_PUSH = Histogram(
    "aajel_detect_to_first_push_seconds",
    "Seconds from detecting a story (or an editor's alert) to its first delivered push.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
DETECT_TO_LAST_PUSH = Histogram(
    "aajel_detect_to_last_push_seconds",
    "Seconds from detecting a story to the last push of its fan-out.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
SENDS = Counter("aajel_sends_total", "Messages Telegram accepted.", registry=REGISTRY)
SEND_FAILURES = Counter(
    "aajel_send_failures_total", "Deliveries that failed for good, by reason.", ["reason"], registry=REGISTRY
)
SEND_RETRIES = Counter(
    "aajel_send_retries_total", "Deliveries put back for a retry, by reason.", ["reason"], registry=REGISTRY
)
FLOOD_WAITS = Counter(
    "aajel_flood_waits_total", "429 Too Many Requests answers from Telegram.", registry=REGISTRY
)
OUTBOX_DEPTH = Gauge(
    "aajel_outbox_depth", "Deliveries waiting to be sent, by priority.", ["priority"], registry=REGISTRY
)
POLLS = Counter(
    "aajel_polls_total", "Source polls, by source and outcome.", ["source", "status"], registry=REGISTRY
)
SOURCE_LAST_SUCCESS = Gauge(
    "aajel_source_last_success_timestamp_seconds",
    "Unix time of the source's last successful poll.",
    ["source"],
    registry=REGISTRY,
)
SOURCE_HEALTHY = Gauge(
    "aajel_source_healthy", "1 if the source is healthy, else 0.", ["source"], registry=REGISTRY
)
SOURCE_FRESHNESS = Gauge(
    "aajel_source_freshness_seconds",
    "Seconds since the source's last successful poll (refreshed from the database on each scrape).",
    ["source"],
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "aajel_api_requests_total",
    "HTTP API requests, by operation and status code.",
    ["operation", "status"],
    registry=REGISTRY,
)

DIGESTS = Counter(
    "aajel_digests_total", "Digest messages planned (one per subscriber and thread).", registry=REGISTRY
)


def failure_reason(error: str | None) -> str:
    """A low-cardinality label from a Telegram error text ("Forbidden: bot was blocked…" → "forbidden")."""
    if not error:
        return "unknown"
    head = error.split(":", 1)[0].strip().lower().replace(" ", "_")
    return head[:32] or "unknown"


TASK_RESTARTS = Counter(
    "aajel_task_restarts_total",
    "Supervised long-lived tasks restarted after a crash, by task.",
    ["task"],
    registry=REGISTRY,
)
TASK_UP = Gauge(
    "aajel_task_up",
    "1 while a supervised task runs, 0 while it is down or restarting.",
    ["task"],
    registry=REGISTRY,
)
DATABASE_UP = Gauge("aajel_database_up", "1 if the last database probe succeeded, else 0.", registry=REGISTRY)
JOB_ERRORS = Counter(
    "aajel_job_errors_total",
    "Scheduled jobs (source polls) that raised; the next tick runs them again.",
    ["job"],
    registry=REGISTRY,
)
