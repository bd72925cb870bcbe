"""Owner-only files (issue 12: the data directory was 0755, the database and logs 0644, and
a 0644 key file was accepted without a word)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from socialhub.services.startup import check_startup
from tests.security.conftest import key_file

REPO_ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_install_creates_everything_owner_only(tmp_path):
    """A real start-up in a process of its own, under the ordinary 022 umask: check_startup,
    then migrations, a login attempt (database + WAL), a log file, the key file."""
    data = tmp_path / "data"
    script = """
import logging, os
os.umask(0o022)
from socialhub.services.startup import check_startup
check_startup()
from socialhub.cli import migrate_database
migrate_database()
from socialhub import security
security.encrypt("token")
from socialhub.services import login_throttle
from socialhub.models import utcnow
login_throttle.record("a@example.com", "127.0.0.1", False, utcnow())
from socialhub.config import get_settings
logs = get_settings().data_dir / "logs"
logs.mkdir(exist_ok=True)
logging.basicConfig(filename=logs / "web.log")
logging.getLogger().warning("hello")
import sqlite3
held = sqlite3.connect(get_settings().data_dir / "socialhub.db")  # keep -wal/-shm present
held.execute("PRAGMA journal_mode=WAL")
held.execute("SELECT count(*) FROM login_attempts").fetchone()
for p in sorted(get_settings().data_dir.rglob("*")):  # while -wal and -shm exist
    print(p, oct(p.stat().st_mode & 0o777), "dir" if p.is_dir() else "file")
"""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SOCIALHUB_ENCRYPTION_KEYS")}
    env["SOCIALHUB_DATA_DIR"] = str(data)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = {
        Path(p).name: (int(m, 8), kind) for p, m, kind in (line.split() for line in out.stdout.splitlines())
    }
    assert {
        "socialhub.db",
        "socialhub.db-wal",
        "socialhub.db-shm",
        "encryption.keys",
        "web.log",
        "logs",
    } <= set(found)
    assert mode(data) == 0o700
    for name, (path_mode, kind) in found.items():
        assert path_mode == (0o700 if kind == "dir" else 0o600), f"{name} is {path_mode:04o}"


def test_existing_loose_files_are_tightened_and_a_readable_key_file_is_named(own_data_dir, restore_umask):
    data = own_data_dir.data_dir
    data.mkdir(parents=True)
    data.chmod(0o755)
    (data / "logs").mkdir(mode=0o755)
    (data / "logs" / "worker.log").write_text("log line\n")
    (data / "logs" / "worker.log").chmod(0o644)
    from socialhub import security

    security.encrypt("generate the key file")
    key_file(own_data_dir).chmod(0o644)

    warnings = check_startup(own_data_dir)
    key_warnings = [w for w in warnings if "encryption key file" in w]
    assert len(key_warnings) == 1
    assert str(key_file(own_data_dir)) in key_warnings[0] and "0644" in key_warnings[0]
    assert "rotate" in key_warnings[0]
    assert mode(key_file(own_data_dir)) == 0o600
    assert mode(data) == 0o700 and mode(data / "logs") == 0o700
    assert mode(data / "logs" / "worker.log") == 0o600
    # Idempotent: a second start has nothing left to say about files.
    assert not [w for w in check_startup(own_data_dir) if "readable" in w]
