"""Corp registration and secret handling."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu.corps.models import WECOM_API_BASE, Corp
from siyu.corps.repository import corps
from siyu.corps.schemas import CorpCreate, CorpUpdate
from siyu.kit.errors import Conflict, NotFound
from siyu.kit.secrets import SecretBox


@dataclass(frozen=True)
class CorpSecrets:
    """Decrypted credentials, only ever held in memory for a WeCom call or a callback check."""

    wecom_corp_id: str
    agent_id: int | None
    app_secret: str | None
    callback_token: str | None
    callback_aes_key: str | None
    api_base_url: str


class CorpService:
    def get_or_404(self, session: Session, corp_id: uuid.UUID) -> Corp:
        corp = corps.get(session, corp_id)
        if corp is None:
            raise NotFound(f"corp {corp_id} does not exist")
        return corp

    def get_by_wecom_id(self, session: Session, wecom_corp_id: str) -> Corp | None:
        return corps.get_by_wecom_id(session, wecom_corp_id)

    def list(self, session: Session, *, ids: Sequence[uuid.UUID] | None = None) -> list[Corp]:
        return corps.list(session, ids=ids)

    def create(self, session: Session, *, data: CorpCreate, box: SecretBox) -> Corp:
        if corps.get_by_wecom_id(session, data.wecom_corp_id) is not None:
            raise Conflict(f"corp {data.wecom_corp_id} is already registered")
        corp = Corp(
            wecom_corp_id=data.wecom_corp_id,
            name=data.name,
            agent_id=data.agent_id,
            api_base_url=str(data.api_base_url).rstrip("/")
            if data.api_base_url
            else WECOM_API_BASE,
            callback_key=secrets.token_urlsafe(18),
            is_sandbox=data.is_sandbox,
        )
        self._store_secrets(corp, box, data.app_secret, data.callback_token, data.callback_aes_key)
        return corps.add(session, corp)

    def update(self, session: Session, *, corp: Corp, data: CorpUpdate, box: SecretBox) -> Corp:
        fields = data.model_dump(exclude_unset=True)
        if "name" in fields and data.name is not None:
            corp.name = data.name
        if "agent_id" in fields:
            corp.agent_id = data.agent_id
        if "api_base_url" in fields and data.api_base_url is not None:
            corp.api_base_url = str(data.api_base_url).rstrip("/")
        self._store_secrets(corp, box, data.app_secret, data.callback_token, data.callback_aes_key)
        session.flush()
        return corp

    def secrets(self, corp: Corp, box: SecretBox) -> CorpSecrets:
        def open_(ciphertext: str | None) -> str | None:
            return box.decrypt(ciphertext) if ciphertext else None

        return CorpSecrets(
            wecom_corp_id=corp.wecom_corp_id,
            agent_id=corp.agent_id,
            app_secret=open_(corp.app_secret_ciphertext),
            callback_token=open_(corp.callback_token_ciphertext),
            callback_aes_key=open_(corp.callback_aes_key_ciphertext),
            api_base_url=corp.api_base_url,
        )

    @staticmethod
    def _store_secrets(
        corp: Corp,
        box: SecretBox,
        app_secret: str | None,
        callback_token: str | None,
        callback_aes_key: str | None,
    ) -> None:
        if app_secret is not None:
            corp.app_secret_ciphertext = box.encrypt(app_secret)
        if callback_token is not None:
            corp.callback_token_ciphertext = box.encrypt(callback_token)
        if callback_aes_key is not None:
            corp.callback_aes_key_ciphertext = box.encrypt(callback_aes_key)


corp_service = CorpService()
