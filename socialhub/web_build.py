"""The production frontend: built once per release by `socialhub build`, served by any
number of `socialhub web` processes that never rebuild it.

`reflex run --env prod` compiles and rebuilds the frontend on every start, in the shared
`.web/`, with the backend address baked in: two web processes in one checkout rebuilt over
each other, and pages served by one talked to the other's port. Here the build is
`reflex export --frontend-only --no-zip` (the same compile and bundle) made with the public
URL the browsers use (SOCIALHUB_PUBLIC_URL, the proxy's), stamped with a digest of its
inputs and that URL. `socialhub web` serves it from the backend on one port (what
`--single-port` does) and refuses, naming `socialhub build`, when there is no build or it
was made for another URL or from other sources. Only `socialhub up` (one machine) still
builds on its own when something changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from socialhub.config import Settings

ROOT = Path(__file__).resolve().parent.parent
WEB_DIR = ROOT / ".web"
STAMP = WEB_DIR / "socialhub-build.stamp"
BUILT_INDEX = WEB_DIR / "build" / "client" / "index.html"
LOCK = ROOT / ".socialhub-build.lock"

# Never imported by the web app: changing them needs no new frontend.
NOT_INPUTS = ("sandbox",)


class BuildMissing(SystemExit):
    """`socialhub web` has no build it may serve (the message says why and what to run)."""


def _source_files() -> list[Path]:
    files = [ROOT / "rxconfig.py"]
    for path in (ROOT / "socialhub").rglob("*.py"):
        rel = path.relative_to(ROOT / "socialhub")
        if rel.parts[0] not in NOT_INPUTS:
            files.append(path)
    assets = ROOT / "assets"
    if assets.is_dir():
        files += [p for p in assets.rglob("*") if p.is_file() and "external" not in p.parts]
    return sorted(files)


def _reflex_versions() -> list[str]:
    found = []
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name == "reflex" or name.startswith("reflex-"):
            found.append(f"{name}=={dist.version}")
    return sorted(found)


def sources_digest() -> str:
    """One hash over the code, assets and Reflex versions the frontend is built from."""
    h = hashlib.sha256()
    for path in _source_files():
        h.update(str(path.relative_to(ROOT)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for item in _reflex_versions():
        h.update(item.encode() + b"\0")
    return h.hexdigest()


def inputs_digest(public_url: str) -> str:
    """The sources plus the one setting rxconfig bakes into the pages: the URL the browser
    sends its events to (Settings.base_url; host and port count only without a public URL)."""
    return hashlib.sha256(f"{sources_digest()} {public_url.rstrip('/')}".encode()).hexdigest()


def _build_fingerprint() -> str:
    """Which build sits in .web: another `reflex run` or `reflex export` in this checkout
    (made with other settings) rewrites index.html, and then our stamp no longer holds."""
    stat = BUILT_INDEX.stat()
    return f"{stat.st_mtime_ns}-{hashlib.sha256(BUILT_INDEX.read_bytes()).hexdigest()[:16]}"


def read_stamp() -> dict | None:
    try:
        stamp = json.loads(STAMP.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def why_not_current(public_url: str) -> str | None:
    """None when .web holds our build for this public URL and these sources, else why not."""
    stamp = read_stamp()
    if stamp is None or not BUILT_INDEX.exists():
        return f"there is no frontend build in {WEB_DIR}"
    try:
        fingerprint = _build_fingerprint()
    except FileNotFoundError:
        return f"there is no frontend build in {WEB_DIR}"
    if stamp.get("fingerprint") != fingerprint:
        return f"the build in {WEB_DIR} was changed since `socialhub build` made it (a `reflex run` or export here)"
    built_for = stamp.get("public_url", "")
    if built_for != public_url.rstrip("/"):
        return (
            f"the build in {WEB_DIR} was made for the public URL {built_for}, but this process's is "
            f"{public_url} (SOCIALHUB_PUBLIC_URL, else http://SOCIALHUB_HOST:SOCIALHUB_PORT)"
        )
    if stamp.get("digest") != inputs_digest(public_url):
        return f"the build in {WEB_DIR} was made from other sources (code, assets or Reflex changed since)"
    return None


def build_is_current(public_url: str) -> bool:
    return why_not_current(public_url) is None


@contextlib.contextmanager
def _build_lock():
    """One build at a time in a checkout (two `socialhub build` would write .web together)."""
    with LOCK.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tools_env() -> dict[str, str]:
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    env = dict(os.environ)
    env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    return env


def build_frontend(env: dict[str, str], public_url: str) -> None:
    """Compile and bundle the frontend, then stamp it (a failed build leaves no stamp)."""
    STAMP.unlink(missing_ok=True)
    reflex = Path(sys.executable).with_name("reflex")
    cmd = [str(reflex), "export", "--frontend-only", "--no-zip", "--env", "prod"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    if done.returncode != 0 or not BUILT_INDEX.exists():
        raise SystemExit(f"the frontend build failed (reflex export exited with {done.returncode})")
    stamp = {
        "digest": inputs_digest(public_url),
        "fingerprint": _build_fingerprint(),
        "public_url": public_url.rstrip("/"),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    STAMP.write_text(json.dumps(stamp) + "\n")


def build(settings: Settings, *, only_if_needed: bool = False) -> bool:
    """`socialhub build`: the release's frontend for the public URL. Returns True when it
    built, False when `only_if_needed` found the build current."""
    with _build_lock():
        if only_if_needed and build_is_current(settings.base_url):
            return False
        build_frontend(_tools_env(), settings.base_url)
    return True


def serve(settings: Settings) -> None:
    """Run the production backend with the built frontend mounted, on one port."""
    from reflex import constants
    from reflex.config import get_config
    from reflex.environment import environment
    from reflex.utils import exec as rx_exec

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)  # the build is what we serve, never remade here
    if settings.web_workers:
        # Reflex runs its production backend on Granian (no gunicorn installed) and takes
        # the worker count from GRANIAN_WORKERS, else 2 x CPUs + 1 (max 8) with Redis state.
        environment.REFLEX_USE_GRANIAN.set(True)
        os.environ["GRANIAN_WORKERS"] = str(settings.web_workers)
    config = get_config()
    config._set_persistent(frontend_port=settings.port, backend_port=settings.port)
    rx_exec.notify_frontend(f"http://{settings.host}:{settings.port}", backend_present=True)
    rx_exec.run_backend_prod(
        settings.host, settings.port, config.loglevel.subprocess_level(), mount_frontend_compiled_app=True
    )


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def binding_warning(settings: Settings) -> str | None:
    """A web process bound beyond loopback answers whoever reaches its port, not only the proxy."""
    if settings.host in LOOPBACK_HOSTS or settings.host.startswith("127."):
        return None
    return (
        f"listening on {settings.host}:{settings.port} (SOCIALHUB_HOST), not loopback: anyone who "
        "reaches this port talks to this web process directly, past the proxy's TLS, and can set "
        "X-Forwarded-For (REFLEX_TRUSTED_PROXY_HOPS) to dodge the per-address login limit. Bind "
        "a private address and let only the proxy reach the port (firewall)."
    )


def run_web(settings: Settings, *, build_if_needed: bool = False) -> None:
    """`socialhub web`: serve the current build. Under `socialhub up` (build_if_needed) a
    missing or outdated build is made first; started on its own, it refuses instead."""
    problem = why_not_current(settings.base_url)
    if problem is None:
        print("[socialhub] the frontend build is up to date: skipping it", flush=True)
    elif build_if_needed:
        print("[socialhub] building the frontend (its sources changed)…", flush=True)
        build(settings)
    else:
        raise BuildMissing(
            f"socialhub web refuses to start: {problem}. Build the frontend once per release with "
            f"`socialhub build` (same SOCIALHUB_PUBLIC_URL as the web processes: {settings.base_url}), "
            "then start the web processes; they share that build and never rebuild it."
        )
    if warning := binding_warning(settings):
        print(f"[socialhub] warning: {warning}", flush=True)
    os.chdir(ROOT)
    serve(settings)
