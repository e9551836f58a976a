"""The integration page's verify check, against the real sandbox over HTTP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.secrets import SecretBox
from siyu.sandbox.models import Corp as SandboxCorp
from tests.conftest import TEST_SECRET_KEY
from tests.helpers.auth import member_client
from tests.wecom.conftest import CORP_ID, SECRET


def register(db: Database, sandbox_url: str, *, secret: str) -> Corp:
    with db.transaction() as session:
        return corp_service.create(
            session,
            data=CorpCreate(
                wecom_corp_id=CORP_ID,
                name="Verify",
                app_secret=secret,
                api_base_url=sandbox_url,  # type: ignore[arg-type]
                is_sandbox=True,
            ),
            box=SecretBox(TEST_SECRET_KEY),
        )


def verification(app: FastAPI, db: Database, corp: Corp, role: Role = Role.owner) -> httpx.Response:
    member = member_client(app, db, corp=corp, role=role, staff_userid="verifier")
    return member.client.get(f"/api/v1/corps/{corp.id}/wecom/verification")


class TestVerification:
    def test_working_credentials(
        self, app: FastAPI, db: Database, sandbox_url: str, sandbox_corp: SandboxCorp
    ) -> None:
        corp = register(db, sandbox_url, secret=SECRET)
        response = verification(app, db, corp)
        body = response.json()
        followers = [s for s in sandbox_corp.staff.values() if s.can_follow and not s.resigned_at]
        assert body["ok"] is True
        assert body["follow_user_count"] == len(followers) > 0
        assert body["callback_url"].endswith(f"/wecom/callback/{corp.callback_key}")

    def test_wrong_secret_says_why(self, app: FastAPI, db: Database, sandbox_url: str) -> None:
        corp = register(db, sandbox_url, secret="not-the-secret")
        body = verification(app, db, corp).json()
        assert body["ok"] is False
        assert body["errcode"] == 40001

    def test_staff_may_not_verify(self, app: FastAPI, db: Database, sandbox_url: str) -> None:
        corp = register(db, sandbox_url, secret=SECRET)
        response = verification(app, db, corp, role=Role.staff)
        assert response.status_code == 403
