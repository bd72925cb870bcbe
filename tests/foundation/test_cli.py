"""The `socialhub` command line, run as a real process against the test database."""

import os
import subprocess
import sys

from sqlmodel import select

from socialhub import security
from socialhub.models import Connection, User


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socialhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_admin_create_new_then_promote_existing(db):
    made = _cli(
        "admin",
        "create",
        "--email",
        "root@example.com",
        "--display-name",
        "Root",
        env={"SOCIALHUB_ADMIN_PASSWORD": "a long admin password"},
    )
    assert made.returncode == 0, made.stderr
    root = db.exec(select(User).where(User.email == "root@example.com")).one()
    assert root.is_admin and security.verify_password(root.password_hash, "a long admin password")

    db.add(
        User(
            email="member@example.com",
            password_hash=security.hash_password("x" * 12),
            display_name="Member",
            handle="member",
        )
    )
    db.commit()
    promoted = _cli("admin", "create", "--email", "member@example.com")
    assert promoted.returncode == 0 and "now an admin" in promoted.stdout
    db.expire_all()
    assert db.exec(select(User).where(User.email == "member@example.com")).one().is_admin


def test_admin_create_rejects_a_short_password(db):
    bad = _cli("admin", "create", "--email", "weak@example.com", env={"SOCIALHUB_ADMIN_PASSWORD": "short"})
    assert bad.returncode == 1 and "10 characters" in bad.stderr
    assert db.exec(select(User)).all() == []


def test_rotate_keys_generates_a_key_and_reencrypts(db):
    user = User(email="k@example.com", password_hash="x", display_name="K", handle="k")
    db.add(user)
    db.commit()
    db.add(
        Connection(user_id=user.id, platform="x", account_id="1", access_token_enc=security.encrypt("tok-1"))
    )
    db.commit()
    before = db.exec(select(Connection)).one().access_token_enc
    done = _cli("rotate-keys", "--generate")
    assert done.returncode == 0, done.stderr
    assert "Re-encrypted 1 secret(s) in 1 row(s)" in done.stdout
    db.expire_all()
    after = db.exec(select(Connection)).one().access_token_enc
    assert after != before
    from socialhub.security import _multifernet

    _multifernet.cache_clear()  # the key file changed under this process
    assert security.decrypt(after) == "tok-1"
    keys = security.load_keys()
    assert len(keys) == 2
    # The newest key alone can read it: the rotation really moved it.
    from cryptography.fernet import Fernet

    assert Fernet(keys[0]).decrypt(after.encode()) == b"tok-1"


def test_nothing_below_the_cli_imports_it():
    """cli.py sits on top: the supervisor and the modules it uses never import it back."""
    import ast
    from pathlib import Path

    import socialhub

    package = Path(socialhub.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "socialhub.cli" or n.startswith("socialhub.cli.") for n in names):
                offenders.append(str(path.relative_to(package.parent)))
    assert offenders == []
