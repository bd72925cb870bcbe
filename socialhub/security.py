"""Token encryption at rest, password hashing, session ids, OAuth state and PKCE."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from socialhub.config import Settings, get_settings, write_secret_file

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
# A fixed hash to verify against when the e-mail is unknown, so that a login for an
# unknown address costs the same time as one for a known address.
_DUMMY_HASH = _hasher.hash("socialhub-timing-equaliser")


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


class TokenUndecryptable(DecryptionError):
    """This stored value opens with none of the configured keys (a wrong or lost key):
    its connection needs reconnecting; disconnecting it still works."""


class KeyUnavailable(RuntimeError):
    """The encryption keys cannot be loaded: the key file is missing while encrypted values
    exist, unreadable, or holds a malformed key. str() names the file and what to do."""


KEY_FILE_NAME = "encryption.keys"


# --- encryption keys ---------------------------------------------------------------------


def key_file_path(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.data_dir / KEY_FILE_NAME


def _parse_keys(lines: list[str], source: str) -> tuple[bytes, ...]:
    """Every key checked now, so a bad one is named at start-up, not on first use."""
    keys: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        key = line.strip()
        if not key:
            continue
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise KeyUnavailable(
                f"{source}: key {number} is not a valid Fernet key (44 characters of url-safe "
                "base64). Restore the key from your backup; do not generate a new one, or the "
                "stored tokens become unreadable."
            ) from None
        keys.append(key.encode())
    if not keys:
        raise KeyUnavailable(f"{source} holds no key. Restore it from your backup.")
    return tuple(keys)


def load_keys(settings: Settings | None = None) -> list[bytes]:
    """Fernet keys, newest first: SOCIALHUB_ENCRYPTION_KEYS, else the key file.

    A key file is generated only while the database holds no encrypted value: once tokens
    exist, a missing key file is an error (KeyUnavailable), never a quiet new key."""
    settings = settings or get_settings()
    if settings.encryption_keys:
        return list(_parse_keys(settings.encryption_keys.split(","), "SOCIALHUB_ENCRYPTION_KEYS"))
    if settings.is_production:
        raise RuntimeError("SOCIALHUB_ENCRYPTION_KEYS must be set in production")
    path = key_file_path(settings)
    if not path.exists():
        _generate_key_file(path, settings)
    try:
        stat = path.stat()
        return list(_read_key_file(str(path), stat.st_mtime_ns, stat.st_size))
    except FileNotFoundError:
        raise KeyUnavailable(f"The encryption key file {path} disappeared while it was read.") from None
    except OSError as exc:
        raise KeyUnavailable(f"The encryption key file {path} cannot be read: {exc.strerror}.") from None


def _generate_key_file(path: Path, settings: Settings) -> None:
    from socialhub.services.keys import encrypted_value_count  # the database, lazily

    stored = encrypted_value_count(settings)
    if stored:
        raise KeyUnavailable(
            f"The encryption key file {path} is missing, but the database holds {stored} "
            "encrypted value(s) that only that key can read. Restore the file from your backup "
            "(or set SOCIALHUB_ENCRYPTION_KEYS). SocialHub will not generate a new key."
        )
    settings.ensure_data_dir()
    log.warning(
        "No SOCIALHUB_ENCRYPTION_KEYS set: generated a key into %s (mode 0600). "
        "Back it up; losing it makes stored tokens unreadable.",
        path,
    )
    try:
        write_secret_file(path, Fernet.generate_key().decode())
    except FileExistsError:  # another process won the race
        pass


@lru_cache(maxsize=8)
def _read_key_file(path: str, mtime_ns: int, size: int) -> tuple[bytes, ...]:
    # Keyed by modification time and size: every encrypt/decrypt asks for the keys, and the
    # file is re-read only when `rotate-keys --generate` (or a person) has changed it.
    with open(path) as fh:
        return _parse_keys(fh.read().splitlines(), f"The encryption key file {path}")


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet(settings: Settings | None = None) -> MultiFernet:
    return _multifernet(tuple(load_keys(settings)))


def encrypt(plaintext: str | None, settings: Settings | None = None) -> str | None:
    if plaintext is None:
        return None
    return fernet(settings).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str | None, settings: Settings | None = None) -> str | None:
    if ciphertext is None:
        return None
    try:
        return fernet(settings).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenUndecryptable("stored secret cannot be decrypted with the configured keys") from exc


def readable(ciphertext: str | None, settings: Settings | None = None) -> bool:
    """Whether a stored value opens with the configured keys (KeyUnavailable propagates)."""
    try:
        decrypt(ciphertext, settings)
    except DecryptionError:
        return False
    return True


def rotate(ciphertext: str | None, settings: Settings | None = None) -> str | None:
    """Re-encrypt under the newest key (MultiFernet.rotate keeps the original timestamp)."""
    if ciphertext is None:
        return None
    try:
        return fernet(settings).rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenUndecryptable("stored secret cannot be decrypted with the configured keys") from exc


def add_new_key_to_file(settings: Settings | None = None) -> bytes:
    """Prepend a fresh key to the generated key file (only when keys come from the file)."""
    settings = settings or get_settings()
    if settings.encryption_keys:
        raise RuntimeError(
            "Keys come from SOCIALHUB_ENCRYPTION_KEYS: put the new key first there, then rotate."
        )
    old = load_keys(settings)
    new = Fernet.generate_key()
    path = key_file_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    write_secret_file(tmp, "\n".join(k.decode() for k in [new, *old]))
    tmp.replace(path)
    _multifernet.cache_clear()
    return new


# --- passwords and sessions --------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a bearer secret (session id, OAuth state)."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- OAuth state and PKCE ----------------------------------------------------------------


def new_oauth_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    # RFC 7636: 43..128 characters from the unreserved set.
    return secrets.token_urlsafe(64)[:96]


def s256_challenge(verifier: str) -> str:
    return create_s256_code_challenge(verifier)
