"""The frontend build is skipped only when nothing it is made from changed."""

from __future__ import annotations

import subprocess

import pytest

from socialhub import web_build


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for rel, text in {
        "rxconfig.py": "config = 1\n",
        "socialhub/pages/home.py": "PAGE = 'home'\n",
        "socialhub/state/auth.py": "STATE = 1\n",
        "socialhub/sandbox/core.py": "SANDBOX = 1\n",
        "assets/logo.svg": "<svg/>",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setattr(web_build, "ROOT", tmp_path)
    monkeypatch.setattr(web_build, "STAMP", tmp_path / ".web" / "socialhub-build.stamp")
    monkeypatch.setattr(web_build, "BUILT_INDEX", tmp_path / ".web" / "build" / "client" / "index.html")
    return tmp_path


ENV = {"SOCIALHUB_PORT": "3000"}


@pytest.mark.parametrize(
    "rel", ["rxconfig.py", "socialhub/pages/home.py", "socialhub/state/auth.py", "assets/logo.svg"]
)
def test_an_input_change_changes_the_digest(tree, rel):
    before = web_build.inputs_digest(ENV)
    assert web_build.inputs_digest(ENV) == before  # stable
    (tree / rel).write_text((tree / rel).read_text() + "# changed\n")
    assert web_build.inputs_digest(ENV) != before


def test_a_new_page_and_baked_settings_count_but_the_sandbox_does_not(tree):
    before = web_build.inputs_digest(ENV)
    (tree / "socialhub/sandbox/core.py").write_text("SANDBOX = 2\n")
    assert web_build.inputs_digest(ENV) == before
    assert web_build.inputs_digest({"SOCIALHUB_PORT": "3001"}) != before
    assert web_build.inputs_digest({**ENV, "SOCIALHUB_PUBLIC_URL": "https://hub.example"}) != before
    (tree / "socialhub/pages/new.py").write_text("NEW = 1\n")
    assert web_build.inputs_digest(ENV) != before


def test_current_needs_our_stamp_and_our_build(tree, monkeypatch):
    digest = web_build.inputs_digest(ENV)
    assert not web_build.build_is_current(digest)

    def fake_export(cmd, **kwargs):  # what `reflex export` leaves behind
        web_build.BUILT_INDEX.parent.mkdir(parents=True, exist_ok=True)
        web_build.BUILT_INDEX.write_text("<html>ours</html>")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(web_build.subprocess, "run", fake_export)
    web_build.build_frontend({}, digest)
    assert web_build.build_is_current(digest)
    assert not web_build.build_is_current(web_build.inputs_digest({"SOCIALHUB_PORT": "9"}))
    # Someone ran `reflex run` here with other settings: the build is no longer ours.
    web_build.BUILT_INDEX.write_text("<html>theirs</html>")
    assert not web_build.build_is_current(digest)
    web_build.BUILT_INDEX.unlink()
    assert not web_build.build_is_current(digest)


def test_a_failed_build_leaves_no_stamp(tree, monkeypatch):
    digest = web_build.inputs_digest(ENV)
    web_build.STAMP.parent.mkdir(parents=True)
    web_build.STAMP.write_text("old stamp\n")
    monkeypatch.setattr(web_build.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1))
    with pytest.raises(SystemExit, match="the frontend build failed"):
        web_build.build_frontend({}, digest)
    assert not web_build.STAMP.exists()
