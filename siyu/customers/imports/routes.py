"""Import routes: upload the file as the request body (no multipart parser needed), poll,
download the row-by-row report."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse

from siyu.auth.deps import Access, require_role
from siyu.auth.models import Role
from siyu.customers.imports.schemas import CustomerImport, CustomerImportPage
from siyu.customers.imports.service import import_service, report_path
from siyu.deps import DbSession, SettingsDep
from siyu.kit.errors import NotFound
from siyu.kit.routing import TransactionalRoute

router = APIRouter(
    prefix="/corps/{corp_id}/customer-imports", tags=["customers"], route_class=TransactionalRoute
)

Importer = Annotated[
    Access,
    Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="customers:write")),
]

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "",
    response_model=CustomerImport,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Not xlsx or CSV"}},
)
async def create_customer_import(
    request: Request,
    session: DbSession,
    access: Importer,
    settings: SettingsDep,
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
    mode: Literal["all_or_nothing", "skip_bad_rows"] = "all_or_nothing",
    dry_run: bool = False,
    phones_verified: bool = False,
) -> CustomerImport:
    """The file is the body; columns name, phones, business_id, unionid (or 姓名, 手机号,
    会员号). Poll `get_customer_import`; the report lists every bad row."""
    body = await request.body()
    item = import_service.create(
        session,
        corp_id=access.corp_id,
        file_name=file_name,
        body=body,
        mode=mode,
        dry_run=dry_run,
        phones_verified=phones_verified,
        import_dir=settings.import_dir,
        max_bytes=settings.import_max_bytes,
    )
    return CustomerImport.model_validate(item)


@router.get("", response_model=CustomerImportPage)
def list_customer_imports(
    session: DbSession,
    access: Importer,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerImportPage:
    rows, next_cursor = import_service.list(
        session, corp_id=access.corp_id, cursor=cursor, limit=limit
    )
    return CustomerImportPage(
        items=[CustomerImport.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{import_id}", response_model=CustomerImport)
def get_customer_import(
    session: DbSession, access: Importer, import_id: uuid.UUID
) -> CustomerImport:
    return CustomerImport.model_validate(
        import_service.get_or_404(session, access.corp_id, import_id)
    )


@router.get(
    "/{import_id}/report",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def download_customer_import_report(
    session: DbSession, access: Importer, settings: SettingsDep, import_id: uuid.UUID
) -> FileResponse:
    """CSV: row, column, message — one line per problem."""
    item = import_service.get_or_404(session, access.corp_id, import_id)
    path = report_path(settings.import_dir, item)
    if not path.exists():
        raise NotFound("the report is not ready yet")
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=f"import-{item.id}-report.csv"
    )
