"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from siyu import __version__
from siyu.api import build_api_router
from siyu.db.migrate import assert_up_to_date
from siyu.kit.http_errors import install_error_handlers
from siyu.runtime import Runtime, build_runtime
from siyu.settings import Settings, get_settings
from siyu.system.routes import bench_router
from siyu.system.routes import router as system_router
from siyu.telemetry.logging import configure_logging
from siyu.telemetry.middleware import BodyLimitMiddleware, RequestContextMiddleware
from siyu.wecom.callbacks import CallbackGateway, CallbackLane

log = structlog.get_logger("siyu.app")


class SiyuApp(FastAPI):
    """The FastAPI app with the WeCom callback lane in front of its whole stack (decision 0004):
    callback paths never enter FastAPI's middleware, routing or dependency layers."""

    callback_lane: CallbackLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.callback_lane
        if lane is not None and lane.handles(scope):
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _operation_id(route: APIRoute) -> str:
    """Stable operation ids (the handler's name) so the generated console client never churns."""
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    start_worker: bool | None = None,
    check_migrations: bool = True,
) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)
    runtime = runtime or build_runtime(settings)
    run_worker = settings.run_worker_in_process if start_worker is None else start_worker
    gateway = CallbackGateway(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if check_migrations:
            assert_up_to_date(runtime.db)
        if run_worker:
            runtime.start_worker()
        log.info(
            "siyu_started", version=__version__, database=runtime.db.dialect, worker=run_worker
        )
        try:
            yield
        finally:
            gateway.close()
            if run_worker and runtime.worker is not None:
                runtime.worker.stop()
                runtime.worker = None

    app = SiyuApp(
        title="Siyu",
        version=__version__,
        description="Siyu (私域) SCRM API. Errors use one envelope: "
        '`{"error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(system_router)
    if settings.bench_routes:
        app.include_router(bench_router)
    app.include_router(build_api_router())
    _mount_console(app, settings.web_dist_dir)
    # Outermost first: the request id must exist before the body limit can reject.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        # Uploads get their own limit; the import service answers 413 past it with its reason.
        path_limits={
            "/customer-imports": settings.import_max_bytes + 1,
            "/material-files": settings.materials_max_bytes + 1,
        },
    )
    app.add_middleware(RequestContextMiddleware)
    # The WeCom callback gateway, outside /api/v1 and authenticated by the callback signature,
    # is a lane in front of everything else (siyu/wecom/callbacks.py, decision 0004).
    app.callback_lane = CallbackLane(gateway)
    return app


def _mount_console(app: FastAPI, dist: Path) -> None:
    """Serve the built console at `/`, with index.html for client-side routes."""
    index = dist / "index.html"
    if not index.is_file():

        @app.get("/", include_in_schema=False)
        def console_missing() -> JSONResponse:
            return JSONResponse(
                {
                    "error": {
                        "code": "console_not_built",
                        "details": None,
                        "message": "the console is not built; run `make web` (or `make run`)",
                    }
                },
                status_code=503,
            )

        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="console-assets")
    spa = APIRouter(include_in_schema=False)

    @spa.get("/{path:path}")
    def console(path: str) -> FileResponse:
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        if path.startswith(("api/", "wecom/", "sandbox/")):
            from siyu.kit.errors import NotFound

            raise NotFound(f"no route for /{path}")
        return FileResponse(index)

    app.include_router(spa)
