"""What a separately started piece refuses, through the real `socialhub` command: no
explicit encryption keys outside `socialhub up`, and `socialhub web` without a build made
by `socialhub build` for its public URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "SOCIALHUB_ENCRYPTION_KEYS"}
    return subprocess.run(
        [sys.executable, "-m", "socialhub.cli", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", [["web"], ["worker", "--burst"], ["scheduler", "--burst"]])
def test_a_piece_started_on_its_own_refuses_without_explicit_keys(tmp_path, command):
    done = _run(*command, SOCIALHUB_DATA_DIR=str(tmp_path / "data"))
    assert done.returncode == 2, done.stdout + done.stderr
    err = " ".join(done.stderr.split())
    assert f"`socialhub {command[0]}` was started on its own (not by `socialhub up`)" in err
    assert "SOCIALHUB_ENCRYPTION_KEYS is not set" in err
    assert "could not decrypt the tokens the others stored" in err
    # Nothing was generated in the process's own data directory.
    assert not (tmp_path / "data" / "encryption.keys").exists()


def test_claiming_a_supervisor_that_is_not_the_parent_does_not_help(tmp_path):
    done = _run("worker", "--burst", SOCIALHUB_DATA_DIR=str(tmp_path / "data"), SOCIALHUB_SUPERVISOR_PID="1")
    assert done.returncode == 2 and "SOCIALHUB_ENCRYPTION_KEYS is not set" in done.stderr


def test_with_keys_a_worker_runs(tmp_path, db, redis):
    from cryptography.fernet import Fernet

    done = _run("worker", "default", "--burst", SOCIALHUB_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert done.returncode == 0, done.stderr[-2000:]


def test_web_without_a_build_for_its_public_url_names_socialhub_build(tmp_path):
    """The refusal comes before anything is served or built (the URL has no build)."""
    from cryptography.fernet import Fernet

    done = _run(
        "web",
        SOCIALHUB_DATA_DIR=str(tmp_path / "data"),
        SOCIALHUB_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SOCIALHUB_PUBLIC_URL="https://never-built.example",
    )
    assert done.returncode != 0
    err = " ".join(done.stderr.split())
    assert "socialhub web refuses to start" in err and "`socialhub build`" in err
