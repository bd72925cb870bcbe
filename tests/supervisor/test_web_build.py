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


URL = "http://127.0.0.1:3000"


@pytest.mark.parametrize(
    "rel", ["rxconfig.py", "socialhub/pages/home.py", "socialhub/state/auth.py", "assets/logo.svg"]
)
def test_an_input_change_changes_the_digest(tree, rel):
    before = web_build.inputs_digest(URL)
    assert web_build.inputs_digest(URL) == before  # stable
    (tree / rel).write_text((tree / rel).read_text() + "# changed\n")
    assert web_build.inputs_digest(URL) != before


def test_a_new_page_and_the_public_url_count_but_the_sandbox_does_not(tree):
    before = web_build.inputs_digest(URL)
    (tree / "socialhub/sandbox/core.py").write_text("SANDBOX = 2\n")
    assert web_build.inputs_digest(URL) == before
    assert web_build.inputs_digest("http://127.0.0.1:3001") != before
    assert web_build.inputs_digest("https://hub.example") != before
    assert web_build.inputs_digest(URL + "/") == before
    (tree / "socialhub/pages/new.py").write_text("NEW = 1\n")
    assert web_build.inputs_digest(URL) != before


def _fake_export(cmd, **kwargs):  # what `reflex export` leaves behind
    web_build.BUILT_INDEX.parent.mkdir(parents=True, exist_ok=True)
    web_build.BUILT_INDEX.write_text("<html>ours</html>")
    return subprocess.CompletedProcess(cmd, 0)


def test_current_needs_our_stamp_our_build_and_the_same_public_url(tree, monkeypatch):
    assert "no frontend build" in web_build.why_not_current(URL)
    monkeypatch.setattr(web_build.subprocess, "run", _fake_export)
    web_build.build_frontend({}, URL)
    assert web_build.build_is_current(URL)
    assert web_build.read_stamp()["public_url"] == URL
    other = web_build.why_not_current("https://hub.example")
    assert "made for the public URL http://127.0.0.1:3000" in other and "https://hub.example" in other
    (tree / "socialhub/pages/home.py").write_text("PAGE = 'changed'\n")
    assert "other sources" in web_build.why_not_current(URL)
    (tree / "socialhub/pages/home.py").write_text("PAGE = 'home'\n")
    assert web_build.build_is_current(URL)
    # Someone ran `reflex run` here with other settings: the build is no longer ours.
    web_build.BUILT_INDEX.write_text("<html>theirs</html>")
    assert "changed since `socialhub build`" in web_build.why_not_current(URL)
    web_build.BUILT_INDEX.unlink()
    assert "no frontend build" in web_build.why_not_current(URL)


def test_a_failed_build_leaves_no_stamp(tree, monkeypatch):
    web_build.STAMP.parent.mkdir(parents=True)
    web_build.STAMP.write_text("old stamp\n")
    monkeypatch.setattr(web_build.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1))
    with pytest.raises(SystemExit, match="the frontend build failed"):
        web_build.build_frontend({}, URL)
    assert not web_build.STAMP.exists()


def test_web_refuses_without_a_build_and_names_socialhub_build(tree):
    from socialhub.config import Settings

    settings = Settings(SOCIALHUB_PUBLIC_URL="https://hub.example")
    with pytest.raises(web_build.BuildMissing, match="`socialhub build`"):
        web_build.run_web(settings)


@pytest.mark.parametrize(
    ("host", "warns"),
    [("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True), ("10.0.0.5", True)],  # noqa: S104
)
def test_a_web_process_bound_beyond_loopback_is_warned_about(host, warns):
    from socialhub.config import Settings

    warning = web_build.binding_warning(Settings(SOCIALHUB_HOST=host, SOCIALHUB_PORT=3001))
    assert (warning is not None) is warns
    if warns:
        assert f"{host}:3001" in warning and "firewall" in warning
