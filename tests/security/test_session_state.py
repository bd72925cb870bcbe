"""No session token on disk in plain text (issue 12: Reflex's disk state manager kept 21 of
22 live session tokens under .states/, readable by every local user)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from socialhub.config import Settings
from socialhub.services.startup import check_state_redis, clear_disk_states

REPO_ROOT = Path(__file__).resolve().parents[2]


def reflex_config(**env: str) -> dict[str, str]:
    """rxconfig as `reflex run` loads it, in a process of its own."""
    script = (
        "import rxconfig; c = rxconfig.config; "
        "print(c.state_manager_mode.value); print(','.join(c.cors_allowed_origins)); "
        "print(c.api_url); print(c.backend_port); print(c.redis_url)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REFLEX_", "SOCIALHUB_PUBLIC"))}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    mode, origins, api_url, port, redis_url = out.stdout.split()[-5:]
    return {"mode": mode, "origins": origins, "api_url": api_url, "port": port, "redis_url": redis_url}


def test_one_web_process_keeps_state_in_memory_not_on_disk():
    assert reflex_config()["mode"] == "memory"


def test_scaled_out_state_goes_to_redis():
    assert reflex_config(REFLEX_REDIS_URL="redis://:secret@127.0.0.1:6399/3")["mode"] == "redis"


def test_settings_in_an_env_file_mean_what_they_mean_in_the_environment(tmp_path):
    """Issue 19: with the settings in `.env`, rxconfig listened on one port while the pages
    connected to 3000, and REFLEX_REDIS_URL was ignored (state went to .states/)."""
    env_file = tmp_path / "socialhub.env"
    env_file.write_text(
        "SOCIALHUB_PORT=4317\nSOCIALHUB_PUBLIC_URL=https://hub.example.org\n"
        "REFLEX_REDIS_URL=redis://:secret@127.0.0.1:6399/3\n"
    )
    from_file = reflex_config(SOCIALHUB_ENV_FILE=str(env_file))
    assert from_file == {
        "mode": "redis",
        "origins": "https://hub.example.org",
        "api_url": "https://hub.example.org",
        "port": "4317",
        "redis_url": "redis://:secret@127.0.0.1:6399/3",
    }
    # The environment wins over the file, as in Settings.
    assert reflex_config(SOCIALHUB_ENV_FILE=str(env_file), SOCIALHUB_PORT="4318")["port"] == "4318"


def test_cors_allows_only_the_apps_own_origin():
    origins = reflex_config(SOCIALHUB_PUBLIC_URL="https://hub.example.org")["origins"]
    assert origins == "https://hub.example.org"
    assert "*" not in reflex_config()["origins"].split(",")


def test_state_files_left_by_an_older_version_are_deleted(tmp_path):
    states = tmp_path / ".states"
    states.mkdir()
    (states / "0123.pkl").write_bytes(pickle.dumps({"session_token": "live-token-abc"}))
    warnings = clear_disk_states(states)
    assert list(states.iterdir()) == []
    assert len(warnings) == 1 and "held session tokens" in warnings[0]
    assert clear_disk_states(states) == []


@pytest.mark.parametrize(
    ("url", "warns"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://:s3cret@127.0.0.1:6379/0", False),
        ("rediss://user:s3cret@redis.internal:6380/0", False),
        ("", False),
    ],
)
def test_a_state_redis_without_password_is_named(url, warns):
    assert bool(check_state_redis(Settings(REFLEX_REDIS_URL=url))) is warns
