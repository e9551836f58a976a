"""Export routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse

from siyu.auth.deps import CorpAccess
from siyu.deps import DbSession, SettingsDep, WriteSession
from siyu.exports.schemas import Export, ExportCreate, ExportPage
from siyu.exports.service import export_service
from siyu.kit.routing import TransactionalRoute

router = APIRouter(
    prefix="/corps/{corp_id}/exports", tags=["exports"], route_class=TransactionalRoute
)


@router.post("", response_model=Export, status_code=status.HTTP_202_ACCEPTED)
def create_export(session: DbSession, access: CorpAccess, data: ExportCreate) -> Export:
    """Queue an export; poll `get_export` until `status` is `done`, then download it."""
    return Export.model_validate(export_service.request(session, access=access, data=data))


@router.get("", response_model=ExportPage)
def list_exports(
    session: DbSession,
    access: CorpAccess,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ExportPage:
    rows, next_cursor = export_service.list(session, access=access, cursor=cursor, limit=limit)
    return ExportPage(items=[Export.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{export_id}", response_model=Export)
def get_export(session: DbSession, access: CorpAccess, export_id: uuid.UUID) -> Export:
    return Export.model_validate(
        export_service.get_or_404(session, access=access, export_id=export_id)
    )


@router.get(
    "/{export_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def download_export(
    session: WriteSession,
    access: CorpAccess,
    settings: SettingsDep,
    export_id: uuid.UUID,
) -> FileResponse:
    """The CSV file. A download is audited, so this GET writes (it takes a write session)."""
    export, path = export_service.open_download(
        session, access=access, export_id=export_id, export_dir=settings.export_dir
    )
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=export.file_name or path.name
    )
