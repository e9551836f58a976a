"""The versioned REST API: every domain's router under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter


def build_api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    # Domains register here as they are built (imports are local so the app factory decides).
    from siyu.corps.routes import router as corps_router

    router.include_router(corps_router)
    return router
