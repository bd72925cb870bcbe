"""`socialhub web`: build the production frontend only when something it is made from
changed, then serve it from the backend on one port.

`reflex run --env prod` compiles and rebuilds the frontend on every start. Here the build
is `reflex export --frontend-only --no-zip` (the same compile and bundle), stamped with a
digest of its inputs; a start whose digest matches the stamp goes straight to the
backend, which serves `.web/build/client` itself (what `--single-port` does).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

from socialhub.config import Settings

ROOT = Path(__file__).resolve().parent.parent
WEB_DIR = ROOT / ".web"
STAMP = WEB_DIR / "socialhub-build.stamp"
BUILT_INDEX = WEB_DIR / "build" / "client" / "index.html"

# What the compiled frontend depends on besides our sources: rxconfig.py bakes these in.
BAKED_ENV = ("SOCIALHUB_HOST", "SOCIALHUB_PORT", "SOCIALHUB_PUBLIC_URL")
# Never imported by the web app: changing them needs no new frontend.
NOT_INPUTS = ("sandbox",)


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


def inputs_digest(env: dict[str, str] | None = None) -> str:
    """One hash over everything the production frontend is built from."""
    env = os.environ if env is None else env
    h = hashlib.sha256()
    for path in _source_files():
        h.update(str(path.relative_to(ROOT)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for item in _reflex_versions():
        h.update(item.encode() + b"\0")
    for name in BAKED_ENV:
        h.update(f"{name}={env.get(name, '')}".encode() + b"\0")
    return h.hexdigest()


def _build_fingerprint() -> str:
    """Which build sits in .web: another `reflex run` or `reflex export` in this checkout
    (made with other settings) rewrites index.html, and then our stamp no longer holds."""
    stat = BUILT_INDEX.stat()
    return f"{stat.st_mtime_ns}-{hashlib.sha256(BUILT_INDEX.read_bytes()).hexdigest()[:16]}"


def build_is_current(digest: str) -> bool:
    try:
        return STAMP.read_text().strip() == f"{digest} {_build_fingerprint()}"
    except FileNotFoundError:
        return False


def build_frontend(env: dict[str, str], digest: str) -> None:
    """Compile and bundle the frontend, then stamp it (a failed build leaves no stamp)."""
    STAMP.unlink(missing_ok=True)
    reflex = Path(sys.executable).with_name("reflex")
    cmd = [str(reflex), "export", "--frontend-only", "--no-zip", "--env", "prod"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    if done.returncode != 0 or not BUILT_INDEX.exists():
        raise SystemExit(f"the frontend build failed (reflex export exited with {done.returncode})")
    STAMP.write_text(f"{digest} {_build_fingerprint()}\n")


def serve(settings: Settings) -> None:
    """Run the production backend with the built frontend mounted, on one port."""
    from reflex import constants
    from reflex.config import get_config
    from reflex.environment import environment
    from reflex.utils import exec as rx_exec

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)  # the build above is what we serve
    config = get_config()
    config._set_persistent(frontend_port=settings.port, backend_port=settings.port)
    rx_exec.notify_frontend(f"http://{settings.host}:{settings.port}", backend_present=True)
    rx_exec.run_backend_prod(
        settings.host, settings.port, config.loglevel.subprocess_level(), mount_frontend_compiled_app=True
    )


def run_web(settings: Settings) -> None:
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    os.environ["PATH"] = f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    os.chdir(ROOT)
    digest = inputs_digest()
    if build_is_current(digest):
        print("[socialhub] the frontend build is up to date: skipping it", flush=True)
    else:
        print("[socialhub] building the frontend (its sources changed)…", flush=True)
        build_frontend(dict(os.environ), digest)
    serve(settings)
