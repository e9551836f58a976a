"""Welcome attachments as send_welcome_msg takes them.

Raw bodies (links, mini-programs, images by pic_url) are stored on the code as WeCom shapes.
Material-library items (`welcome_material_ids`) are resolved through the materials domain when
it is installed; its `ensure_media` runs when a code is saved, so this hot path never uploads.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

from sqlalchemy.orm import Session

from siyu.acquisition.models import LiveCode, WelcomeDefault

MAX_ATTACHMENTS = 9


def _materials(
    session: Session, corp_id: uuid.UUID, material_ids: list[str]
) -> list[dict[str, Any]]:
    if not material_ids:
        return []
    try:
        module = importlib.import_module("siyu.materials.service")
    except ImportError:  # the materials library is not part of this build
        return []
    materials_service = module.materials_service
    from siyu.corps.repository import corps

    corp = corps.get(session, corp_id)
    return list(
        materials_service.wecom_attachments(
            session,
            corp=corp,
            runtime=None,
            material_ids=[uuid.UUID(m) for m in material_ids],
            purpose="welcome",
        )
    )


def of_code(session: Session, code: LiveCode) -> list[dict[str, Any]]:
    found = list(code.welcome_attachments) + _materials(
        session, code.corp_id, list(code.welcome_material_ids)
    )
    return found[:MAX_ATTACHMENTS]


def of_default(session: Session, default: WelcomeDefault) -> list[dict[str, Any]]:
    found = list(default.attachments) + _materials(
        session, default.corp_id, list(default.material_ids)
    )
    return found[:MAX_ATTACHMENTS]
