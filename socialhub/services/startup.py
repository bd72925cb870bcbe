"""Start-up checks every SocialHub process runs before serving: file permissions, encryption
keys, and session tokens left on disk.

`check_startup(settings)` returns warnings to print, or raises StartupRefused (with the
reason to show) when the install must not start. The supervisor calls it before starting
its children, and the web app again at boot (its lifespan), so `reflex run` alone is checked
too. It is idempotent.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from socialhub import security
from socialhub.config import Settings, get_settings
from socialhub.services import keys

# Files SocialHub creates (database, its WAL and SHM, logs, keys, pid files) are readable by
# their owner only: they hold tokens, e-mail addresses and password hashes.
PRIVATE_UMASK = 0o077


class StartupRefused(RuntimeError):
    """The install must not start; str() says why and what to do."""


# `socialhub up` puts its own pid here for its children. The single-machine mode is exactly
# this: a process whose parent is the `socialhub up` named by this variable. Its children
# share that supervisor's data directory, hence one key file. Any other web, worker or
# scheduler process (a systemd unit, a Procfile line, a second machine) may have a data
# directory of its own and must be given the keys explicitly.
SUPERVISOR_ENV = "SOCIALHUB_SUPERVISOR_PID"


def started_by_supervisor() -> bool:
    """True when this process is a child of the `socialhub up` that marked its environment."""
    value = os.environ.get(SUPERVISOR_ENV, "")
    return value.isdigit() and int(value) == os.getppid()


def require_explicit_keys(settings: Settings, command: str) -> None:
    """Refuse a separately started web, worker or scheduler without SOCIALHUB_ENCRYPTION_KEYS."""
    if settings.encryption_keys or started_by_supervisor():
        return
    raise StartupRefused(
        f"`socialhub {command}` was started on its own (not by `socialhub up`) and "
        "SOCIALHUB_ENCRYPTION_KEYS is not set. Every web, worker and scheduler process must use "
        "the same keys: a process with a data directory of its own would generate a key of its "
        "own, and then could not decrypt the tokens the others stored (token refresh, publishing "
        "and syncs fail). Set SOCIALHUB_ENCRYPTION_KEYS to the same comma-separated Fernet keys "
        "(newest first) for every process: an install that ran `socialhub up` has them in "
        f"{security.key_file_path(settings)} (one per line); a new one comes from `python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
    )


def private_umask() -> None:
    """New files 0600 and directories 0700 from now on, in this process and its children."""
    os.umask(PRIVATE_UMASK)


def _others_can_read(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def secure_data_dir(settings: Settings) -> list[str]:
    """Create the data directory 0700, or tighten it and everything in it to owner-only.

    Returns warnings; the key file is named on its own when others could read it, since a
    key that was exposed should be rotated, not just hidden again."""
    warnings: list[str] = []
    data_dir = settings.data_dir
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_file = security.key_file_path(settings)
    if key_file.exists() and _others_can_read(key_file):
        mode = stat.S_IMODE(key_file.stat().st_mode)
        warnings.append(
            f"The encryption key file {key_file} was readable by other users (mode {mode:04o}); "
            "it is now 0600. If anyone else may have read it, rotate keys "
            "(socialhub rotate-keys --generate) and reconnect accounts."
        )
    loosened = 0
    for path in [data_dir, *data_dir.rglob("*")]:
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            continue
        if path.stat().st_uid != os.getuid() or not _others_can_read(path):
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)
        loosened += 1
    if loosened:
        warnings.append(
            f"{loosened} file(s) or folder(s) in {data_dir} were readable by other users; "
            "they are now owner-only."
        )
    return warnings


def check_keys(settings: Settings) -> list[str]:
    """Load and check every key; decrypt every stored value. Refuses on a missing or wrong key."""
    try:
        values, unreadable, marked = keys.check_stored_values(settings)
    except security.KeyUnavailable as exc:
        raise StartupRefused(str(exc)) from exc
    if not unreadable:
        return []
    return [
        f"{unreadable} of {values} stored encrypted values cannot be decrypted with the configured "
        f"keys; {len(marked)} connection(s) were marked 'reconnect needed'."
    ]


def states_dir() -> Path:
    """Where Reflex's disk state manager keeps its files (REFLEX_STATES_WORKDIR, else .states)."""
    return Path(os.environ.get("REFLEX_STATES_WORKDIR", ".states"))


def clear_disk_states(directory: Path | None = None) -> list[str]:
    """Delete state files an older version left on disk: they hold live session tokens."""
    directory = directory or states_dir()
    if not directory.is_dir():
        return []
    removed = 0
    for path in directory.iterdir():
        if path.is_file():
            path.unlink()
            removed += 1
    if not removed:
        return []
    return [
        f"Deleted {removed} Reflex state file(s) from {directory.resolve()}: they held session "
        "tokens in plain text. Sessions now live in memory (or in Redis when scaled out)."
    ]


def check_state_redis(settings: Settings | None = None) -> list[str]:
    """A shared Reflex state store holds session tokens: it must require a password."""
    url = (settings or get_settings()).reflex_redis_url or ""
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme == "unix" or parts.password:
        return []
    return [
        "REFLEX_REDIS_URL has no password: anyone who can reach that Redis can read the "
        "session tokens it holds. Use redis://:PASSWORD@host:port/db (Redis requirepass)."
    ]


def check_startup(settings: Settings | None = None) -> list[str]:
    """Every start-up check; returns warnings, raises StartupRefused when it must not start."""
    settings = settings or get_settings()
    private_umask()
    warnings = secure_data_dir(settings)
    warnings += check_keys(settings)
    warnings += clear_disk_states()
    warnings += check_state_redis(settings)
    check_media_store(settings)
    return warnings


def check_media_store(settings: Settings) -> None:
    """With S3 selected, refuse to start when the bucket cannot be used (the message names
    the setting), rather than failing in the middle of an upload or a publish."""
    from socialhub.services.media_store import StoreError, check_store

    try:
        check_store(settings)
    except StoreError as exc:
        raise StartupRefused(str(exc)) from exc
