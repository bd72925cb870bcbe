"""What the S3 media store costs: uploading a file, a worker's checked copy, and a platform's
pull through the app (proxy) or a presigned URL (redirect).

    .venv/bin/python bench/media_store.py [--mb 100] [--rounds 3]

Self-contained: moto's S3-compatible server on a free loopback port, a private data
directory with a fresh SQLite database, and the app's media route served by uvicorn. Every
figure is the median of `--rounds` runs on one random file of `--mb` MB:

- `put_mbs`: `store.put` (HEAD, then a multipart upload), MB/s;
- `copy_mbs`: a worker's first `local_file` (download to a temp name, SHA-256 check, rename), MB/s;
- `hit_ms`: `local_file` when the copy is already in the cache;
- `proxy_mbs` / `redirect_mbs`: a GET of the grant URL read to the end (redirect: following
  the 302 to the presigned URL), what a platform's pull costs, MB/s.

moto keeps objects in memory and runs in this process, so the figures are the app's own
overhead plus a loopback S3, not a real network. Last line: mb=.. put_mbs=.. copy_mbs=..
hit_ms=.. proxy_mbs=.. redirect_mbs=..
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import logging

    import boto3
    import httpx
    from moto.server import ThreadedMotoServer

    from tests.servers import ThreadedServer, free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    work = Path(tempfile.mkdtemp(prefix="socialhub-bench-media-"))
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = "bench-media"
    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(Bucket=bucket)
    os.environ.update(
        SOCIALHUB_DATA_DIR=str(work / "data"),
        SOCIALHUB_MEDIA_STORE="s3",
        SOCIALHUB_MEDIA_S3_BUCKET=bucket,
        SOCIALHUB_MEDIA_S3_ENDPOINT_URL=endpoint,
        SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID=keys["aws_access_key_id"],
        SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY=keys["aws_secret_access_key"],
        SOCIALHUB_MEDIA_CACHE_MB=str(args.mb * 4),
    )
    os.environ.pop("DATABASE_URL", None)

    from socialhub.cli import migrate_database
    from socialhub.config import reset_settings_cache
    from socialhub.db import session_scope
    from socialhub.media_server import create_media_app
    from socialhub.models import MediaGrant, User, utcnow
    from socialhub.services import media, media_store

    migrate_database()
    src = work / "clip.mp4"
    with src.open("wb") as fh:  # an MP4 header, then random bytes
        fh.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
        for _ in range(args.mb):
            fh.write(os.urandom(1024 * 1024))
    size_mb = src.stat().st_size / (1024 * 1024)

    put, copy, hit, proxy, redirect = [], [], [], [], []
    server = ThreadedServer(create_media_app()).start()
    try:
        with session_scope() as s:
            user = User(email="bench@example.com", password_hash="x", display_name="Bench", handle="bench")
            s.add(user)
            s.flush()
            t0 = time.perf_counter()
            stored = media.store_file(s, user_id=user.id, src=src)
            put.append(size_mb / (time.perf_counter() - t0))
            token = secrets.token_urlsafe(32)
            s.add(
                MediaGrant(
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    media_file_id=stored.id,
                    expires_at=utcnow() + timedelta(hours=1),
                )
            )
            key = stored.path
        url = f"{server.url}/media/{token}/1.mp4"
        store = media_store.get_store()
        for i in range(args.rounds):
            if i:  # put again under a fresh key (the first put above is round 0)
                t0 = time.perf_counter()
                store.put(f"again/{i}/{key}", src)
                put.append(size_mb / (time.perf_counter() - t0))
            (store.cache_root / key).unlink(missing_ok=True)
            t0 = time.perf_counter()
            store.local_file(key)
            copy.append(size_mb / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            store.local_file(key)
            hit.append((time.perf_counter() - t0) * 1000)
            for mode, out in (("proxy", proxy), ("redirect", redirect)):
                os.environ["SOCIALHUB_MEDIA_S3_DELIVERY"] = mode
                reset_settings_cache()
                t0 = time.perf_counter()
                got = 0
                with httpx.stream("GET", url, follow_redirects=True, timeout=120) as resp:
                    resp.raise_for_status()
                    for chunk in resp.iter_bytes():
                        got += len(chunk)
                assert got == src.stat().st_size, (mode, got)
                out.append(size_mb / (time.perf_counter() - t0))
            store = media_store.get_store()
    finally:
        server.stop()
        moto.stop()

    med = statistics.median
    print(
        f"mb={size_mb:.0f} put_mbs={med(put):.0f} copy_mbs={med(copy):.0f} hit_ms={med(hit):.2f} "
        f"proxy_mbs={med(proxy):.0f} redirect_mbs={med(redirect):.0f}"
    )


if __name__ == "__main__":
    main()
