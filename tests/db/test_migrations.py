"""One Alembic chain that builds the same schema the models describe, on both dialects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import siyu.models  # noqa: F401
from siyu.db.base import Base
from siyu.db.migrate import alembic_config, head_revision, upgrade
from siyu.db.search import include_object
from tests.helpers.databases import DatabaseFactory


class TestMigrationChain:
    def test_single_head(self) -> None:
        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        assert len(script.get_heads()) == 1

    def test_every_migration_states_its_purpose(self) -> None:
        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        for revision in script.walk_revisions():
            assert revision.doc and len(revision.doc) > 10, revision.revision

    def test_upgrade_from_empty_builds_every_table(self, database_factory: DatabaseFactory) -> None:
        url = database_factory.empty_url()
        upgrade(url)
        engine = create_engine(url)
        try:
            tables = set(inspect(engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            with engine.connect() as connection:
                assert (
                    MigrationContext.configure(connection).get_current_revision() == head_revision()
                )
        finally:
            engine.dispose()
            database_factory.drop(url)

    def test_no_drift_between_models_and_migrations(
        self, database_factory: DatabaseFactory
    ) -> None:
        engine = create_engine(database_factory.template_url)
        try:
            with engine.connect() as connection:
                # The FTS5 search tables are raw DDL, not models (siyu/db/search.py).
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        "include_object": include_object,
                    },
                )
                diff = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
        assert diff == [], f"models and migrations differ; add a migration: {diff}"


class TestSQLiteHardening:
    def test_pragmas_are_applied(self, tmp_path) -> None:
        from siyu.db.session import Database

        database = Database(f"sqlite:///{tmp_path / 'p.db'}")
        try:
            with database.engine.connect() as connection:

                def pragma(name: str) -> object:
                    return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

                assert pragma("journal_mode") == "wal"
                assert pragma("foreign_keys") == 1
                assert pragma("busy_timeout") == 15000
                assert pragma("synchronous") == 1  # NORMAL
        finally:
            database.dispose()
