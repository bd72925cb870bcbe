"""Key rotation, and the key checks: what is encrypted, and whether the keys still open it."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from socialhub import security
from socialhub.config import Settings, get_settings
from socialhub.db import session_scope
from socialhub.models import Connection, ConnectionStatus, OAuthState, utcnow

# Every encrypted column in the schema (a test checks none is missed).
ENCRYPTED_COLUMNS: dict[type, tuple[str, ...]] = {
    Connection: ("access_token_enc", "refresh_token_enc"),
    OAuthState: ("code_verifier_enc", "pending_accounts_enc"),
}

RECONNECT_NEEDED_MESSAGE = (
    "SocialHub can no longer read this account's stored access (the encryption key changed "
    "or was lost). Reconnect it."
)


def encrypted_value_count(settings: Settings | None = None) -> int:
    """How many encrypted values the database of `settings` holds (0 before migrations).

    Raises KeyUnavailable when the database cannot be asked: without knowing, generating a
    new key could orphan every stored token."""
    from socialhub.db import _engine_for

    settings = settings or get_settings()
    try:
        engine = _engine_for(settings.db_url)
        tables = set(inspect(engine).get_table_names())
        total = 0
        with Session(engine) as session:
            for model, columns in ENCRYPTED_COLUMNS.items():
                if model.__tablename__ not in tables:
                    continue
                for name in columns:
                    filled = col(getattr(model, name)).is_not(None)
                    total += session.exec(select(func.count()).select_from(model).where(filled)).one()
        return total
    except SQLAlchemyError as exc:
        raise security.KeyUnavailable(
            f"Cannot tell whether the database holds encrypted tokens ({type(exc).__name__}), so "
            f"no new encryption key was generated into {security.key_file_path(settings)}."
        ) from exc


def mark_reconnect_needed(conn: Connection) -> None:
    """A connection whose token no key opens: shown with Reconnect; Disconnect still works.
    The caller's boundary commits."""
    conn.status = ConnectionStatus.error
    conn.last_error = RECONNECT_NEEDED_MESSAGE
    conn.last_error_at = utcnow()
    conn.updated_at = utcnow()


def check_stored_values(settings: Settings | None = None) -> tuple[int, int, list[int]]:
    """Decrypt every stored value: (values, unreadable, ids of connections marked).

    Connections with an unreadable token are marked "reconnect needed" (committed here:
    a start-up check is its own boundary). Raises KeyUnavailable when the keys cannot be
    loaded, or when values exist and not one of them opens (a wrong key file)."""
    settings = settings or get_settings()
    keys = security.load_keys(settings)
    values = unreadable = 0
    marked: list[int] = []
    with session_scope() as session:
        tables = set(inspect(session.get_bind()).get_table_names())
        for model, columns in ENCRYPTED_COLUMNS.items():
            if model.__tablename__ not in tables:  # not migrated yet: nothing stored
                continue
            for row in session.exec(select(model)).all():
                row_bad = False
                for name in columns:
                    value = getattr(row, name)
                    if not value:
                        continue
                    values += 1
                    if not security.readable(value, settings):
                        unreadable += 1
                        row_bad = True
                if row_bad and isinstance(row, Connection) and row.last_error != RECONNECT_NEEDED_MESSAGE:
                    mark_reconnect_needed(row)
                    session.add(row)
                    marked.append(row.id)
        if values and unreadable == values:
            # Raising leaves the scope, which rolls back the marks made above.
            source = (
                "SOCIALHUB_ENCRYPTION_KEYS"
                if settings.encryption_keys
                else f"the encryption key file {security.key_file_path(settings)}"
            )
            raise security.KeyUnavailable(
                f"None of the {len(keys)} key(s) in {source} can decrypt any of the {values} stored "
                "encrypted values: it is the wrong key. Restore the right key from your backup."
            )
    return values, unreadable, marked


def reencrypt_all() -> dict[str, int]:
    rows = values = 0
    with session_scope() as s:
        for model, columns in ENCRYPTED_COLUMNS.items():
            for row in s.exec(select(model)).all():
                touched = False
                for col_name in columns:
                    current = getattr(row, col_name)
                    if current:
                        setattr(row, col_name, security.rotate(current))
                        values += 1
                        touched = True
                if touched:
                    s.add(row)
                    rows += 1
    return {"rows": rows, "values": values}
