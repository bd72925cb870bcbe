"""Apply the Alembic migrations: shared by the CLI, the supervisor and the tests (kept apart
from both so neither imports the other)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def migrate_database() -> None:
    """Apply every Alembic migration (the only way the schema is created)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
