"""Token encryption at rest, password hashing, session ids, OAuth state and PKCE."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from functools import lru_cache

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


# --- encryption keys ---------------------------------------------------------------------


def load_keys(settings: Settings | None = None) -> list[bytes]:
    """Fernet keys, newest first: SOCIALHUB_ENCRYPTION_KEYS, else a generated key file."""
    settings = settings or get_settings()
    if settings.encryption_keys:
        keys = [k.strip().encode() for k in settings.encryption_keys.split(",") if k.strip()]
        if not keys:
            raise ValueError("SOCIALHUB_ENCRYPTION_KEYS is set but holds no key")
        return keys
    if settings.is_production:
        raise RuntimeError("SOCIALHUB_ENCRYPTION_KEYS must be set in production")
    path = settings.ensure_data_dir() / "encryption.keys"
    if not path.exists():
        log.warning(
            "No SOCIALHUB_ENCRYPTION_KEYS set: generated a key into %s (mode 0600). "
            "Back it up; losing it makes stored tokens unreadable.",
            path,
        )
        try:
            write_secret_file(path, Fernet.generate_key().decode())
        except FileExistsError:  # another process won the race
            pass
    stat = path.stat()
    return list(_read_key_file(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _read_key_file(path: str, mtime_ns: int, size: int) -> tuple[bytes, ...]:
    # Keyed by modification time and size: every encrypt/decrypt asks for the keys, and the
    # file is re-read only when `rotate-keys --generate` (or a person) has changed it.
    with open(path) as fh:
        return tuple(line.strip().encode() for line in fh.read().splitlines() if line.strip())


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
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def rotate(ciphertext: str | None, settings: Settings | None = None) -> str | None:
    """Re-encrypt under the newest key (MultiFernet.rotate keeps the original timestamp)."""
    if ciphertext is None:
        return None
    try:
        return fernet(settings).rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def add_new_key_to_file(settings: Settings | None = None) -> bytes:
    """Prepend a fresh key to the generated key file (only when keys come from the file)."""
    settings = settings or get_settings()
    if settings.encryption_keys:
        raise RuntimeError(
            "Keys come from SOCIALHUB_ENCRYPTION_KEYS: put the new key first there, then rotate."
        )
    old = load_keys(settings)
    new = Fernet.generate_key()
    path = settings.data_dir / "encryption.keys"
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
