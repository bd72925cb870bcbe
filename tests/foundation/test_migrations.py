"""The schema exists only through Alembic, and Alembic agrees with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from socialhub.db import get_engine


def test_models_and_migrations_agree(migrated_db):
    """Autogenerate finds no difference on the configured database (SQLite or PostgreSQL)."""
    with get_engine().connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_table_created_by_migration(migrated_db):
    tables = set(inspect(get_engine()).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_downgrade_roundtrip(tmp_path, monkeypatch):
    """A fresh SQLite file goes up to head, down to base and up again."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    engine = create_engine(url)
    cfg = Config("alembic.ini")
    cfg.attributes["configure_logger"] = False
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        assert "users" in inspect(conn).get_table_names()
        command.downgrade(cfg, "base")
        assert "users" not in inspect(conn).get_table_names()
        command.upgrade(cfg, "head")
        assert "connections" in inspect(conn).get_table_names()
