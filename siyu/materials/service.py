"""Materials: the library (CRUD, upload) and the contract other domains send through.

Other domains call exactly two functions (docs/materials.md):
- `wecom_attachments(session, corp=, runtime=, material_ids=, purpose=)`: the attachments[]
  entries, validated against WeCom's limits, usage counted per purpose. It reads cached media
  ids and uploads only as a fallback when the cache has nothing valid.
- `ensure_media(session, corp=, runtime=, material_ids=)`: upload what is missing or expiring
  (call it when a welcome message, mass message or moment is saved), and keep those materials
  fresh: the `materials.refresh_media` job renews their ids before they expire.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError
from sqlalchemy.orm import Session

from siyu.auth.deps import Access
from siyu.auth.models import Role
from siyu.db.session import on_rollback
from siyu.kit.clock import utcnow
from siyu.kit.errors import Forbidden, NotFound, Unprocessable
from siyu.kit.ids import new_id
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.materials import attachments, media
from siyu.materials.files import (
    check_upload,
    clean_file_name,
    remove_file,
    sha256_of,
    storage_key,
    write_file,
)
from siyu.materials.models import Material, MaterialFile
from siyu.materials.repository import MaterialFilter
from siyu.materials.repository import material_repository as repo
from siyu.materials.schemas import (
    CONTENT_SCHEMAS,
    FILE_RULES,
    TITLE_BYTES,
    MaterialCreate,
    MaterialUpdate,
    utf8_len,
)

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.materials")
LIBRARY_MANAGERS = (Role.owner, Role.admin, Role.manager)


def manages_company_library(access: Access) -> bool:
    """Company materials are edited by owners, admins and managers (and API keys)."""
    return access.role is None or access.role in LIBRARY_MANAGERS


class MaterialService:
    # -- files --------------------------------------------------------------------------------
    def upload_file(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        media_type: str,
        file_name: str,
        content_type: str,
        data: bytes,
        root: Path,
        max_bytes: int,
    ) -> MaterialFile:
        kind = check_upload(
            media_type=media_type, content_type=content_type, size=len(data), max_bytes=max_bytes
        )
        file_id = new_id()
        row = MaterialFile(
            id=file_id,
            corp_id=corp_id,
            media_type=media_type,
            file_name=clean_file_name(file_name),
            content_type=kind,
            size=len(data),
            sha256=sha256_of(data),
            storage_key=storage_key(corp_id, file_id),
        )
        # Written before the row commits, so a row never lacks its file; a rollback removes it.
        write_file(root, row.storage_key, data)
        on_rollback(session, lambda: remove_file(root, row.storage_key))
        session.add(row)
        session.flush()
        return row

    # -- materials ----------------------------------------------------------------------------
    def page(
        self,
        session: Session,
        *,
        where: MaterialFilter,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Material], str | None]:
        rows = repo.page(session, where, after=decode_id_cursor(cursor), limit=limit + 1)
        return split_id_page(rows, limit)

    def get_or_404(self, session: Session, *, access: Access, material_id: uuid.UUID) -> Material:
        material = repo.visible(session, MaterialFilter(access.scope), material_id)
        if material is None:
            raise NotFound(f"material {material_id} does not exist")
        return material

    def files_of(
        self, session: Session, materials: Sequence[Material]
    ) -> dict[uuid.UUID, MaterialFile]:
        return repo.files(session, [m.file_id for m in materials if m.file_id])

    def file_or_404(self, session: Session, *, material: Material) -> MaterialFile:
        file = repo.file(session, material.corp_id, material.file_id) if material.file_id else None
        if file is None:
            raise NotFound(f"material {material.id} has no file")
        return file

    def create(self, session: Session, *, access: Access, data: MaterialCreate) -> Material:
        owner = None
        if data.personal or not manages_company_library(access):
            owner = access.scope.staff_userid
            if owner is None:
                raise Forbidden(
                    "personal materials need a member linked to a WeCom staff member",
                    code="no_staff_userid",
                )
        content = self._content(data.kind, data.content)
        self._check_title(data.kind, data.title)
        self._check_file(session, access.corp_id, data.kind, data.file_id, content)
        self._check_folder(session, access.corp_id, data.folder_id)
        material = Material(
            corp_id=access.corp_id,
            kind=data.kind,
            title=data.title,
            content=content,
            file_id=data.file_id,
            folder_id=data.folder_id,
            tags=data.tags,
            owner_userid=owner,
            created_by=access.principal.label,
        )
        session.add(material)
        session.flush()
        return material

    def update(
        self, session: Session, *, access: Access, material: Material, data: MaterialUpdate
    ) -> Material:
        self._check_writable(access, material)
        changes = data.model_dump(exclude_unset=True)
        if "title" in changes and data.title is not None:
            self._check_title(material.kind, data.title)
            material.title = data.title
        content = material.content
        if "content" in changes and data.content is not None:
            content = self._content(material.kind, data.content)
        file_id = data.file_id if "file_id" in changes else material.file_id
        if "content" in changes or "file_id" in changes:
            self._check_file(session, material.corp_id, material.kind, file_id, content)
            if file_id != material.file_id:
                repo.forget_media(session, material.id)
            material.content, material.file_id = content, file_id
        if "folder_id" in changes:
            self._check_folder(session, material.corp_id, data.folder_id)
            material.folder_id = data.folder_id
        if "tags" in changes and data.tags is not None:
            material.tags = data.tags
        session.flush()
        return material

    def delete(self, session: Session, *, access: Access, material: Material) -> None:
        self._check_writable(access, material)
        session.delete(material)
        session.flush()

    def detail(self, session: Session, *, material: Material) -> dict[str, Any]:
        return {
            "usages": repo.usages(session, material.id),
            "media": repo.media(session, [material.id]).get(material.id),
        }

    def tag_counts(self, session: Session, *, access: Access) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for tags in repo.tag_counts(session, MaterialFilter(access.scope)):
            for tag in tags:
                counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def retag(self, session: Session, *, corp_id: uuid.UUID, tag: str, new_name: str | None) -> int:
        """Rename `tag` on every material of the corp (or remove it: `new_name=None`);
        returns how many materials changed."""
        rows = repo.with_tag(session, corp_id, tag)
        for row in rows:
            tags = [new_name if t == tag else t for t in row.tags]
            row.tags = list(dict.fromkeys(t for t in tags if t is not None))
        session.flush()
        return len(rows)

    # -- the contract -------------------------------------------------------------------------
    def wecom_attachments(
        self,
        session: Session,
        *,
        corp: Corp,
        runtime: Runtime,
        material_ids: Sequence[uuid.UUID],
        purpose: str,
    ) -> list[dict[str, Any]]:
        """WeCom attachments[] for the materials, in order; counts one use per material for
        `purpose`. Reads cached media ids; uploads (slow) only what has no valid one."""
        attachments.check_request(material_ids, purpose)
        found = repo.of_corp(session, corp.id, material_ids)
        ordered = attachments.check_materials(material_ids, found)
        now = utcnow()
        cache = repo.media(session, material_ids)
        missing = media.plan_for(session, ordered, cache, now=now, margin=media.HOT_MARGIN)
        if missing:
            log.warning("material_media_fallback_upload", count=len(missing), purpose=purpose)
            self._upload(session, corp=corp, runtime=runtime, uploads=missing)
            cache = repo.media(session, material_ids)
        result = [attachments.entry(m, cache.get(m.id)) for m in ordered]
        repo.count_usage(session, material_ids, purpose=purpose, now=now)
        repo.keep_fresh(session, material_ids, until=now + media.KEEP_FRESH)
        return result

    def check_attachable(
        self, session: Session, *, corp_id: uuid.UUID, material_ids: Sequence[uuid.UUID]
    ) -> None:
        """What `wecom_attachments` would refuse, refused now (422 naming the material): for
        domains that store material ids (a welcome message, a quick reply) when they save."""
        attachments.check_request(material_ids, "check")
        attachments.check_materials(material_ids, repo.of_corp(session, corp_id, material_ids))

    def ensure_media(
        self, session: Session, *, corp: Corp, runtime: Runtime, material_ids: Sequence[uuid.UUID]
    ) -> int:
        """Upload what is missing or expires within 12 h, and mark the materials in use so the
        refresh job keeps them fresh; returns how many files were uploaded. Unknown ids are a
        422 naming the material."""
        found = repo.of_corp(session, corp.id, material_ids)
        for material_id in material_ids:
            if material_id not in found:
                raise attachments.refuse(material_id, "does not exist in this corp")
        now = utcnow()
        uploads = media.plan(
            session,
            corp_id=corp.id,
            material_ids=material_ids,
            now=now,
            margin=media.REFRESH_WINDOW,
        )
        self._upload(session, corp=corp, runtime=runtime, uploads=uploads)
        repo.keep_fresh(session, material_ids, until=now + media.KEEP_FRESH)
        return len(uploads)

    def schedule_media(
        self, session: Session, *, corp_id: uuid.UUID, material_ids: Sequence[uuid.UUID]
    ) -> None:
        """`ensure_media` in a job after this transaction commits (for request handlers that
        should not wait for an upload)."""
        from siyu.jobs import enqueue

        ids = sorted({str(i) for i in material_ids})
        if ids:
            digest = sha256_of(",".join(ids).encode())[:16]
            enqueue(
                session,
                "materials.ensure_media",
                key=f"materials-ensure:{corp_id}:{digest}:{utcnow().isoformat()}",
                args={"corp_id": str(corp_id), "material_ids": ids},
                corp_id=corp_id,
            )

    def _upload(
        self, session: Session, *, corp: Corp, runtime: Runtime, uploads: Sequence[media.Upload]
    ) -> None:
        if not uploads:
            return
        from siyu.wecom.client import client_for

        rows = media.upload(
            client_for(runtime, corp), uploads, root=runtime.settings.materials_dir, now=utcnow()
        )
        media.save(session, rows, keep_fresh_until=None)

    # -- checks -------------------------------------------------------------------------------
    def _content(self, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        try:
            return CONTENT_SCHEMAS[kind].model_validate(content).model_dump(exclude_none=True)
        except ValidationError as exc:
            problems = [
                f"content.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            ]
            raise Unprocessable(
                f"content of a {kind} material is not valid: " + "; ".join(problems),
                details=problems,
            ) from None

    def _check_title(self, kind: str, title: str) -> None:
        limit = TITLE_BYTES.get(kind)
        if limit is not None and utf8_len(title) > limit:
            raise Unprocessable(
                f"title is {utf8_len(title)} bytes; WeCom takes at most {limit} for a {kind}"
            )

    def _check_file(
        self,
        session: Session,
        corp_id: uuid.UUID,
        kind: str,
        file_id: uuid.UUID | None,
        content: dict[str, Any],
    ) -> None:
        media_type, required = FILE_RULES[kind]
        if file_id is None:
            if required:
                raise Unprocessable(f"a {kind} material needs file_id (upload the file first)")
            if kind == "link" and not content.get("picurl"):
                return  # a link without a cover is allowed; WeCom shows a default
            return
        if media_type is None:
            raise Unprocessable(f"a {kind} material has no file")
        file = repo.file(session, corp_id, file_id)
        if file is None:
            raise Unprocessable(f"file {file_id} does not exist")
        if file.media_type != media_type:
            raise Unprocessable(
                f"a {kind} material needs an {media_type} file, not a {file.media_type}"
            )
        if kind == "link" and file.size > 2 * 1024 * 1024:
            raise Unprocessable("a link cover may be at most 2 MB (WeCom media/uploadimg)")

    def _check_folder(
        self, session: Session, corp_id: uuid.UUID, folder_id: uuid.UUID | None
    ) -> None:
        if folder_id is not None and repo.folder(session, corp_id, folder_id) is None:
            raise Unprocessable(f"folder {folder_id} does not exist")

    def _check_writable(self, access: Access, material: Material) -> None:
        if material.owner_userid is None and not manages_company_library(access):
            raise Forbidden(
                "company materials are edited by owners, admins and managers",
                code="insufficient_role",
            )


materials_service = MaterialService()
