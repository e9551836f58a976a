from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from siyu.auth.cli import app as user_cli
from siyu.auth.cli import bootstrap_owner
from siyu.auth.models import CorpMembership, User
from siyu.db.session import Database
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.helpers.auth import login, make_corp, make_user

runner = CliRunner()


def _run(settings: Settings, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(user_cli, list(args), obj=settings)


class TestUserCreate:
    def test_creates_a_superuser_who_can_log_in(self, fresh_db_url: str) -> None:
        settings = make_settings(fresh_db_url)

        result = _run(
            settings,
            "create",
            "--email",
            "Root@Example.com",
            "--password",
            "a-long-password",
            "--superuser",
        )

        assert result.exit_code == 0, result.output
        assert "created root@example.com (superuser)" in result.output
        db = Database(fresh_db_url)
        with db.transaction() as session:
            user = session.scalars(select(User)).one()
        db.dispose()
        assert user.is_superuser

    def test_adds_the_user_to_a_corp_with_a_role(self, fresh_db_url: str) -> None:
        settings = make_settings(fresh_db_url)
        db = Database(fresh_db_url)
        corp = make_corp(db, wecom_corp_id="wwcli")

        result = _run(
            settings,
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "a-long-password",
            "--corp",
            "wwcli",
            "--role",
            "manager",
        )

        assert result.exit_code == 0, result.output
        with db.transaction() as session:
            membership = session.scalars(select(CorpMembership)).one()
        db.dispose()
        assert (membership.corp_id, membership.role, membership.scope) == (
            corp.id,
            "manager",
            "department",
        )

    def test_errors_are_one_line_and_exit_1(self, fresh_db_url: str) -> None:
        settings = make_settings(fresh_db_url)
        _run(settings, "create", "--email", "a@example.com", "--password", "a-long-password")

        cases = [
            ("--email", "a@example.com", "--password", "a-long-password"),
            ("--email", "b@example.com", "--password", "short"),
            ("--email", "c@example.com", "--password", "a-long-password", "--corp", "wwnone"),
        ]
        for args in cases:
            result = _run(settings, "create", *args)
            assert result.exit_code == 1, result.output
            assert "error:" in result.output and "Traceback" not in result.output
            assert len(result.output.strip().splitlines()) == 1, result.output

    def test_a_failed_create_leaves_no_user_behind(self, fresh_db_url: str) -> None:
        settings = make_settings(fresh_db_url)

        _run(
            settings,
            "create",
            "--email",
            "c@example.com",
            "--password",
            "a-long-password",
            "--corp",
            "wwnone",
        )

        db = Database(fresh_db_url)
        with db.transaction() as session:
            assert session.scalars(select(User)).all() == []
        db.dispose()


class TestUserList:
    def test_lists_users_with_their_corps(self, fresh_db_url: str) -> None:
        settings = make_settings(fresh_db_url)
        db = Database(fresh_db_url)
        make_corp(db, wecom_corp_id="wwlist")
        db.dispose()
        _run(
            settings,
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "a-long-password",
            "--corp",
            "wwlist",
            "--role",
            "admin",
        )

        result = runner.invoke(user_cli, ["list"], obj=settings, terminal_width=200)

        assert result.exit_code == 0, result.output
        assert "ops@example.com" in result.output and "wwlist:admin" in result.output


class TestBootstrapOwner:
    def test_first_run_creates_a_superuser_owning_every_corp(
        self, db: Database, client: TestClient
    ) -> None:
        first, second = make_corp(db), make_corp(db)

        with db.transaction() as session:
            created = bootstrap_owner(
                session, email="owner@siyu.local", password="bootstrap-password"
            )

        assert created is True
        body = login(client, "owner@siyu.local", "bootstrap-password")
        assert body["user"]["is_superuser"] is True  # type: ignore[index]
        assert {m["corp"]["id"] for m in body["memberships"]} == {  # type: ignore[union-attr]
            str(first.id),
            str(second.id),
        }
        assert all(m["role"] == "owner" for m in body["memberships"])  # type: ignore[union-attr]

    def test_does_nothing_once_any_user_exists(self, db: Database) -> None:
        make_user(db, email="someone@example.com")

        with db.transaction() as session:
            created = bootstrap_owner(
                session, email="owner@siyu.local", password="bootstrap-password"
            )
            emails = session.scalars(select(User.email)).all()

        assert created is False and emails == ["someone@example.com"]
