"""Key rotation: re-encrypt every stored secret under the newest key."""

from __future__ import annotations

from sqlmodel import select

from socialhub import security
from socialhub.db import session_scope
from socialhub.models import Connection, OAuthState

# Every encrypted column in the schema (a test checks none is missed).
ENCRYPTED_COLUMNS: dict[type, tuple[str, ...]] = {
    Connection: ("access_token_enc", "refresh_token_enc"),
    OAuthState: ("code_verifier_enc", "pending_accounts_enc"),
}


def reencrypt_all() -> dict[str, int]:
    rows = values = 0
    with session_scope() as s:
        for model, columns in ENCRYPTED_COLUMNS.items():
            for row in s.exec(select(model)).all():
                touched = False
                for col in columns:
                    current = getattr(row, col)
                    if current:
                        setattr(row, col, security.rotate(current))
                        values += 1
                        touched = True
                if touched:
                    s.add(row)
                    rows += 1
    return {"rows": rows, "values": values}
