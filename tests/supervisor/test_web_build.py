"""The frontend build is skipped only when nothing it is made from changed."""

from __future__ import annotations

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


def test_current_needs_both_the_stamp_and_the_build(tree):
    digest = web_build.inputs_digest(ENV)
    assert not web_build.build_is_current(digest)
    web_build.STAMP.parent.mkdir(parents=True)
    web_build.STAMP.write_text(digest + "\n")
    assert not web_build.build_is_current(digest)  # stamped, but the build is gone
    web_build.BUILT_INDEX.parent.mkdir(parents=True)
    web_build.BUILT_INDEX.write_text("<html></html>")
    assert web_build.build_is_current(digest)
    assert not web_build.build_is_current(web_build.inputs_digest({"SOCIALHUB_PORT": "9"}))
