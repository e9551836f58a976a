"""A WeCom corp served by this installation. Every business table carries `corp_id`."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin

WECOM_API_BASE = "https://qyapi.weixin.qq.com"


class Corp(IdMixin, TimestampMixin, Base):
    __tablename__ = "corps"

    wecom_corp_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The self-built app used for customer contact (客户联系 可调用接口的应用) and app messages.
    agent_id: Mapped[int | None]
    app_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    callback_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    callback_aes_key_ciphertext: Mapped[str | None] = mapped_column(Text)
    api_base_url: Mapped[str] = mapped_column(String(255), default=WECOM_API_BASE)
    # Random path segment of this corp's callback URL: /wecom/callback/{callback_key}.
    callback_key: Mapped[str] = mapped_column(String(64), unique=True)
    is_sandbox: Mapped[bool] = mapped_column(default=False)
