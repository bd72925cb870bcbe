"""Tokens are encrypted at rest with MultiFernet, keys rotate, and nothing leaks in plain text."""

import os
import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from socialhub import security
from socialhub.config import Settings
from socialhub.models import Connection, OAuthState, User


def _settings(tmp_path, keys=None) -> Settings:
    return Settings(SOCIALHUB_DATA_DIR=tmp_path, SOCIALHUB_ENCRYPTION_KEYS=keys)


def test_generated_key_file_is_private(tmp_path, db):  # db: an empty database (no stored tokens)
    settings = _settings(tmp_path)
    keys = security.load_keys(settings)
    path = tmp_path / "encryption.keys"
    assert len(keys) == 1 and path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert security.load_keys(settings) == keys  # generated once, then reused


def test_roundtrip_and_wrong_key(tmp_path, db):  # db: an empty database (no stored tokens)
    settings = _settings(tmp_path)
    secret = security.encrypt("act.very-secret", settings)
    assert "very-secret" not in secret
    assert security.decrypt(secret, settings) == "act.very-secret"
    other = _settings(tmp_path / "other", keys=Fernet.generate_key().decode())
    with pytest.raises(security.DecryptionError):
        security.decrypt(secret, other)


def test_env_keys_newest_first_and_rotation(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    under_old = security.encrypt("token-1", _settings(tmp_path, keys=old))
    both = _settings(tmp_path, keys=f"{new},{old}")
    assert security.decrypt(under_old, both) == "token-1"
    rotated = security.rotate(under_old, both)
    # After rotation the old key can go.
    assert security.decrypt(rotated, _settings(tmp_path, keys=new)) == "token-1"
    with pytest.raises(security.DecryptionError):
        security.decrypt(under_old, _settings(tmp_path, keys=new))


def test_production_refuses_generated_keys(tmp_path):
    settings = Settings(SOCIALHUB_DATA_DIR=tmp_path, SOCIALHUB_ENV="production")
    with pytest.raises(RuntimeError, match="SOCIALHUB_ENCRYPTION_KEYS"):
        security.load_keys(settings)


def _user(db) -> User:
    user = User(
        email="a@example.com", password_hash=security.hash_password("x" * 12), display_name="A", handle="a"
    )
    db.add(user)
    db.commit()
    return user


def test_raw_database_holds_no_plaintext_token(db):
    user = _user(db)
    conn = Connection(
        user_id=user.id,
        platform="x",
        account_id="1",
        access_token_enc=security.encrypt("PLAINTEXT-ACCESS-123"),
        refresh_token_enc=security.encrypt("PLAINTEXT-REFRESH-456"),
    )
    db.add(conn)
    db.commit()
    rows = db.connection().execute(text("SELECT * FROM connections")).fetchall()
    dump = repr(rows)
    assert "PLAINTEXT-ACCESS-123" not in dump and "PLAINTEXT-REFRESH-456" not in dump
    assert security.decrypt(rows[0]._mapping["access_token_enc"]) == "PLAINTEXT-ACCESS-123"


def test_rotate_keys_reencrypts_every_secret(db, tmp_path, monkeypatch):
    from socialhub.config import reset_settings_cache
    from socialhub.services.keys import ENCRYPTED_COLUMNS, reencrypt_all

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("SOCIALHUB_ENCRYPTION_KEYS", old)
    reset_settings_cache()
    user = _user(db)
    db.add(
        Connection(
            user_id=user.id,
            platform="x",
            account_id="1",
            access_token_enc=security.encrypt("tok-a"),
            refresh_token_enc=security.encrypt("tok-r"),
        )
    )
    from socialhub.models import utcnow

    db.add(
        OAuthState(
            state_hash="h",
            user_id=user.id,
            platform="x",
            redirect_uri="http://x/cb",
            code_verifier_enc=security.encrypt("verifier"),
            expires_at=utcnow(),
        )
    )
    db.commit()
    monkeypatch.setenv("SOCIALHUB_ENCRYPTION_KEYS", f"{new},{old}")
    reset_settings_cache()
    counts = reencrypt_all()
    assert counts == {"rows": 2, "values": 3}
    monkeypatch.setenv("SOCIALHUB_ENCRYPTION_KEYS", new)  # the old key is gone now
    reset_settings_cache()
    db.expire_all()
    conn = db.exec(text("SELECT access_token_enc, refresh_token_enc FROM connections")).one()
    assert [security.decrypt(v) for v in conn] == ["tok-a", "tok-r"]
    # Every *_enc column in the schema is covered by rotation.
    from sqlmodel import SQLModel

    enc_cols = {
        (t.name, c.name)
        for t in SQLModel.metadata.sorted_tables
        for c in t.columns
        if c.name.endswith("_enc")
    }
    covered = {(m.__tablename__, c) for m, cols in ENCRYPTED_COLUMNS.items() for c in cols}
    assert enc_cols == covered
    reset_settings_cache()


def test_passwords_hashed_with_argon2():
    h = security.hash_password("correct horse battery")
    assert h.startswith("$argon2") and "correct" not in h
    assert security.verify_password(h, "correct horse battery")
    assert not security.verify_password(h, "wrong")
    assert not security.verify_password(None, "anything")


def test_pkce_verifier_and_challenge_agree_with_sandbox_check():
    from socialhub.sandbox.core import pkce_matches

    verifier = security.new_code_verifier()
    assert 43 <= len(verifier) <= 128
    challenge = security.s256_challenge(verifier)
    assert "=" not in challenge and len(challenge) == 43
    assert pkce_matches(challenge, "S256", verifier)
    assert not pkce_matches(challenge, "S256", verifier[:-1] + ("a" if verifier[-1] != "a" else "b"))
