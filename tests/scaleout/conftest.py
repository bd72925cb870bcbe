"""The scale-out test needs PostgreSQL (several processes, several data directories) and a
Redis server (shared queue and Reflex state), as CI's PostgreSQL pass has, plus Chromium and
bun for the pages. Otherwise it is skipped, saying which is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
BUN = ROOT / ".tools" / "node_modules" / ".bin" / "bun"


def missing_for_scale_out() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql", "postgres:")):
        return "the scale-out test needs DATABASE_URL=postgresql://… (processes on several data directories)"
    if not os.environ.get("REDIS_URL"):
        return "the scale-out test needs REDIS_URL (a Redis server shared by every process)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed"
    if not BUN.exists() and shutil.which("bun") is None:
        return "bun is not installed (scripts/bootstrap.sh installs it)"
    return None


@pytest.fixture
def scale_out_ready() -> None:
    reason = missing_for_scale_out()
    if reason:
        pytest.skip(reason)
