"""Materials library routes: materials, their files (upload, download) and folders."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.deps import DbSession, SettingsDep
from siyu.kit.routing import TransactionalRoute
from siyu.materials.files import file_path
from siyu.materials.folders import folder_service
from siyu.materials.models import Material as MaterialRow
from siyu.materials.repository import MaterialFilter
from siyu.materials.schemas import (
    Material,
    MaterialCreate,
    MaterialDetail,
    MaterialFileInfo,
    MaterialFolder,
    MaterialFolderCreate,
    MaterialFolderUpdate,
    MaterialKind,
    MaterialPage,
    MaterialTagCount,
    MaterialUpdate,
    MediaType,
)
from siyu.materials.service import LIBRARY_MANAGERS, materials_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["materials"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("materials:read"))]
Writer = Annotated[Access, Depends(require_api_scope("materials:write"))]
FolderAdmin = Annotated[
    Access, Depends(require_role(*LIBRARY_MANAGERS, api_scope="materials:write"))
]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _out(session: DbSession, rows: list[MaterialRow]) -> list[Material]:
    files = materials_service.files_of(session, rows)
    return [
        Material.model_validate(row).model_copy(
            update={
                "file": MaterialFileInfo.model_validate(files[row.file_id])
                if row.file_id in files
                else None
            }
        )
        for row in rows
    ]


def _detail(session: DbSession, row: MaterialRow) -> MaterialDetail:
    (base,) = _out(session, [row])
    return MaterialDetail(**base.model_dump(), **materials_service.detail(session, material=row))


@router.post(
    "/material-files",
    response_model=MaterialFileInfo,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Type not accepted"}},
)
async def upload_material_file(
    request: Request,
    session: DbSession,
    access: Writer,
    settings: SettingsDep,
    media_type: MediaType,
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
) -> MaterialFileInfo:
    """The file is the body, its type the Content-Type header. Limits (WeCom's): image
    ≤10 MB jpg/png, video ≤10 MB mp4, file ≤20 MB. Then create the material with `file_id`."""
    body = await request.body()
    row = materials_service.upload_file(
        session,
        corp_id=access.corp_id,
        media_type=media_type,
        file_name=file_name,
        content_type=request.headers.get("content-type", ""),
        data=body,
        root=settings.materials_dir,
        max_bytes=settings.materials_max_bytes,
    )
    return MaterialFileInfo.model_validate(row)


@router.get("/materials", response_model=MaterialPage)
def list_materials(
    session: DbSession,
    access: Reader,
    kind: MaterialKind | None = None,
    folder_id: uuid.UUID | None = None,
    unfiled: Annotated[bool, Query(description="Only materials in no folder")] = False,
    tag: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=64, description="Words in the title")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MaterialPage:
    """Company materials and the personal ones in your data scope, newest first."""
    where = MaterialFilter(access.scope, kind, folder_id, unfiled, tag, q)
    rows, next_cursor = materials_service.page(session, where=where, cursor=cursor, limit=limit)
    return MaterialPage(items=_out(session, rows), next_cursor=next_cursor)


@router.post("/materials", response_model=MaterialDetail, status_code=status.HTTP_201_CREATED)
def create_material(session: DbSession, access: Writer, data: MaterialCreate) -> MaterialDetail:
    """`content` by kind: text{content}, link{url, desc, picurl}, miniprogram{appid, page},
    poster{template}; image, file and video carry only their `file_id`."""
    return _detail(session, materials_service.create(session, access=access, data=data))


@router.get("/materials/{material_id}", response_model=MaterialDetail)
def get_material(session: DbSession, access: Reader, material_id: uuid.UUID) -> MaterialDetail:
    row = materials_service.get_or_404(session, access=access, material_id=material_id)
    return _detail(session, row)


@router.patch("/materials/{material_id}", response_model=MaterialDetail)
def update_material(
    session: DbSession, access: Writer, material_id: uuid.UUID, data: MaterialUpdate
) -> MaterialDetail:
    row = materials_service.get_or_404(session, access=access, material_id=material_id)
    row = materials_service.update(session, access=access, material=row, data=data)
    return _detail(session, row)


@router.delete("/materials/{material_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_material(session: DbSession, access: Writer, material_id: uuid.UUID) -> Response:
    row = materials_service.get_or_404(session, access=access, material_id=material_id)
    materials_service.delete(session, access=access, material=row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/materials/{material_id}/file", response_class=FileResponse)
def download_material_file(
    session: DbSession, access: Reader, settings: SettingsDep, material_id: uuid.UUID
) -> FileResponse:
    """The material's file, for preview in the console."""
    row = materials_service.get_or_404(session, access=access, material_id=material_id)
    file = materials_service.file_or_404(session, material=row)
    return FileResponse(
        file_path(settings.materials_dir, file.storage_key),
        media_type=file.content_type,
        filename=file.file_name,
        content_disposition_type="inline",
    )


@router.get("/material-tags", response_model=list[MaterialTagCount])
def list_material_tags(session: DbSession, access: Reader) -> list[MaterialTagCount]:
    return [
        MaterialTagCount(tag=t, count=n)
        for t, n in materials_service.tag_counts(session, access=access)
    ]


@router.get("/material-folders", response_model=list[MaterialFolder])
def list_material_folders(session: DbSession, access: Reader) -> list[MaterialFolder]:
    rows = folder_service.list(session, where=MaterialFilter(access.scope))
    return [
        MaterialFolder.model_validate(f).model_copy(update={"material_count": n}) for f, n in rows
    ]


@router.post(
    "/material-folders", response_model=MaterialFolder, status_code=status.HTTP_201_CREATED
)
def create_material_folder(
    session: DbSession, access: FolderAdmin, data: MaterialFolderCreate
) -> MaterialFolder:
    row = folder_service.create(session, corp_id=access.corp_id, data=data)
    return MaterialFolder.model_validate(row)


@router.patch("/material-folders/{folder_id}", response_model=MaterialFolder)
def update_material_folder(
    session: DbSession, access: FolderAdmin, folder_id: uuid.UUID, data: MaterialFolderUpdate
) -> MaterialFolder:
    row = folder_service.get_or_404(session, access.corp_id, folder_id)
    return MaterialFolder.model_validate(folder_service.update(session, folder=row, data=data))


@router.delete("/material-folders/{folder_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_material_folder(
    session: DbSession, access: FolderAdmin, folder_id: uuid.UUID
) -> Response:
    row = folder_service.get_or_404(session, access.corp_id, folder_id)
    folder_service.delete(session, folder=row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
