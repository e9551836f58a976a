"""Welcome attachments as send_welcome_msg takes them.

Raw bodies (links, mini-programs, images by pic_url) are stored on the code as WeCom shapes.
Material-library items (`welcome_material_ids`) go through the materials domain: checked when a
code or default is saved (422 naming the material), their media uploaded by a job right after
(`schedule_media`), so the 20-second hot path reads cached media ids and never uploads.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.acquisition.models import LiveCode, WelcomeDefault
from siyu.materials.service import materials_service

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

MAX_ATTACHMENTS = 9


def check(session: Session, corp_id: uuid.UUID, material_ids: list[uuid.UUID]) -> None:
    if material_ids:
        materials_service.check_attachable(session, corp_id=corp_id, material_ids=material_ids)


def prepare(session: Session, corp_id: uuid.UUID, material_ids: list[str]) -> None:
    if material_ids:
        materials_service.schedule_media(
            session, corp_id=corp_id, material_ids=[uuid.UUID(m) for m in material_ids]
        )


def _materials(
    session: Session, corp: Corp, runtime: Runtime, material_ids: list[str]
) -> list[dict[str, Any]]:
    if not material_ids:
        return []
    return materials_service.wecom_attachments(
        session,
        corp=corp,
        runtime=runtime,
        material_ids=[uuid.UUID(m) for m in material_ids],
        purpose="welcome",
    )


def of_code(
    session: Session, code: LiveCode, *, corp: Corp, runtime: Runtime
) -> list[dict[str, Any]]:
    found = list(code.welcome_attachments) + _materials(
        session, corp, runtime, list(code.welcome_material_ids)
    )
    return found[:MAX_ATTACHMENTS]


def of_default(
    session: Session, default: WelcomeDefault, *, corp: Corp, runtime: Runtime
) -> list[dict[str, Any]]:
    found = list(default.attachments) + _materials(
        session, corp, runtime, list(default.material_ids)
    )
    return found[:MAX_ATTACHMENTS]
