"""Operational endpoints: `/healthz` for load balancers, `/metrics` for Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from siyu import __version__
from siyu.deps import RuntimeDep
from siyu.jobs.repository import job_runs
from siyu.telemetry.metrics import queue_depth, registry

router = APIRouter(tags=["system"])


@router.get("/healthz", operation_id="get_health", summary="Database and queue health")
def get_health(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    healthy = True
    try:
        with runtime.db.transaction(write=False) as session:
            session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": runtime.db.dialect}
    except Exception as exc:  # report, do not raise: the caller wants a verdict
        healthy = False
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        runtime.queue.ping()
        checks["queue"] = {"ok": True}
    except Exception as exc:
        healthy = False
        checks["queue"] = {"ok": False, "error": type(exc).__name__}
    body = {"status": "ok" if healthy else "unavailable", "version": __version__, "checks": checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get(
    "/metrics", operation_id="get_metrics", summary="Prometheus metrics", response_class=Response
)
def get_metrics(runtime: RuntimeDep) -> Response:
    try:
        with runtime.db.transaction(write=False) as session:
            counts = job_runs.counts_by_status(session)
        for state in ("pending", "running", "done", "dead"):
            queue_depth.labels(state).set(counts.get(state, 0))
    except Exception:  # metrics must render even when the database is down
        pass
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


bench_router = APIRouter(prefix="/bench", include_in_schema=False)


@bench_router.get("/noop")
def bench_noop_get() -> dict[str, str]:
    return {"status": "ok"}


@bench_router.post("/noop")
async def bench_noop_post() -> Response:
    """Answers without reading the body beyond what the server already buffered, like a gateway
    that acknowledges at once; benchmarks compare real endpoints with this."""
    return Response(status_code=200)
