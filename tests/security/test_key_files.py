"""Encryption keys (issue 12): a deleted key file was silently replaced by a new key while
the database still held tokens under the old one; a corrupted one raised a raw ValueError;
an undecryptable token kept its connection "Active" and broke Disconnect."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from socialhub import security
from socialhub.models import Connection, ConnectionStatus
from socialhub.services import connections as svc
from socialhub.services.keys import RECONNECT_NEEDED_MESSAGE
from socialhub.services.startup import StartupRefused, check_startup
from tests.security.conftest import add_connection, key_file


def test_fresh_install_generates_a_private_key_file(own_data_dir):
    assert not key_file(own_data_dir).exists()
    assert security.decrypt(security.encrypt("tok")) == "tok"
    assert key_file(own_data_dir).stat().st_mode & 0o777 == 0o600


def test_deleted_key_file_is_not_replaced_while_tokens_exist(own_data_dir, db):
    add_connection(db)
    path = key_file(own_data_dir)
    path.unlink()
    # What the running web process does next: encrypt for a new connection, or decrypt.
    with pytest.raises(security.KeyUnavailable) as exc:
        security.encrypt("another-token")
    assert str(path) in str(exc.value) and "missing" in str(exc.value)
    assert "2 encrypted value(s)" in str(exc.value)
    with pytest.raises(security.KeyUnavailable):
        security.decrypt(db.exec(select(Connection)).one().access_token_enc)
    assert not path.exists(), "a new key was generated over the stored tokens"


def test_startup_refuses_a_missing_key_file_and_names_it(own_data_dir, db, restore_umask):
    add_connection(db)
    key_file(own_data_dir).unlink()
    with pytest.raises(StartupRefused, match=str(key_file(own_data_dir))):
        check_startup(own_data_dir)
    assert not key_file(own_data_dir).exists()


@pytest.mark.parametrize("content", ["not-a-key", "", "   \n", Fernet.generate_key().decode()[:-2]])
def test_corrupted_key_file_names_the_file_instead_of_a_raw_valueerror(
    own_data_dir, db, content, restore_umask
):
    add_connection(db)
    key_file(own_data_dir).write_text(content)
    with pytest.raises(security.KeyUnavailable) as exc:
        security.encrypt("x")
    assert str(key_file(own_data_dir)) in str(exc.value)
    assert not isinstance(exc.value, ValueError)
    with pytest.raises(StartupRefused, match="encryption key file"):
        check_startup(own_data_dir)


def test_every_configured_key_is_checked(own_data_dir, monkeypatch):
    from socialhub.config import Settings

    good = Fernet.generate_key().decode()
    settings = Settings(SOCIALHUB_DATA_DIR=own_data_dir.data_dir, SOCIALHUB_ENCRYPTION_KEYS=f"{good},oops")
    with pytest.raises(security.KeyUnavailable, match="SOCIALHUB_ENCRYPTION_KEYS: key 2 is not a valid"):
        security.load_keys(settings)
    path = key_file(own_data_dir)
    own_data_dir.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{good}\n{good[:10]}\n")
    with pytest.raises(security.KeyUnavailable, match="key 2 is not a valid Fernet key"):
        security.load_keys()


def test_startup_refuses_a_wrong_key_file(own_data_dir, db, restore_umask):
    add_connection(db)
    key_file(own_data_dir).write_text(Fernet.generate_key().decode() + "\n")  # valid, but not ours
    with pytest.raises(StartupRefused) as exc:
        check_startup(own_data_dir)
    message = str(exc.value)
    assert str(key_file(own_data_dir)) in message and "wrong key" in message


def test_undecryptable_token_marks_its_connection_and_disconnect_still_removes_it(
    own_data_dir, db, restore_umask
):
    readable = add_connection(db, plain="good", account_id="1")
    # A token written under a key this install no longer has (e.g. an old key removed too early).
    lost = add_connection(db, plain="lost", account_id="2")
    lost.access_token_enc = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    db.add(lost)
    db.commit()

    warnings = check_startup(own_data_dir)
    assert any("1 connection(s) were marked 'reconnect needed'" in w for w in warnings)
    db.expire_all()
    marked = db.get(Connection, lost.id)
    assert marked.status == ConnectionStatus.error and marked.last_error == RECONNECT_NEEDED_MESSAGE
    view = svc.to_view(marked)
    assert view.status == "error" and view.last_error == RECONNECT_NEEDED_MESSAGE
    assert db.get(Connection, readable.id).status == ConnectionStatus.active

    with pytest.raises(security.TokenUndecryptable):
        svc.credentials(marked)
    lost_id, readable_id = lost.id, readable.id
    result = svc.disconnect(user_id=marked.user_id, connection_id=marked.id)
    assert result.revoke == svc.RevokeOutcome.unreadable
    db.expire_all()
    assert db.get(Connection, lost_id) is None
    assert db.get(Connection, readable_id) is not None


def test_disconnect_works_while_the_key_file_is_gone(own_data_dir, db):
    conn = add_connection(db)
    key_file(own_data_dir).unlink()
    result = svc.disconnect(user_id=conn.user_id, connection_id=conn.id)
    assert result.revoke == svc.RevokeOutcome.unreadable
    from socialhub.state.connections import disconnect_message

    assert "could not be read" in disconnect_message(result)
    assert db.exec(select(Connection)).all() == []


def test_the_web_app_runs_the_checks_at_boot_and_refuses(own_data_dir, db, restore_umask):
    """`reflex run` alone (no supervisor) is checked too: the app's lifespan runs them."""
    from socialhub.app import _startup_checks, app

    assert _startup_checks in app._lifespan_tasks
    add_connection(db)
    key_file(own_data_dir).unlink()
    with pytest.raises(StartupRefused, match="is missing"):
        _startup_checks()
