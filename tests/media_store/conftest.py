"""Media-store tests: a real S3-compatible server (moto's server mode, over HTTP on a free
loopback port) started here, the real database and Redis, the sandbox over HTTP, and the app's
media route, which the sandbox really pulls from."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pages.conftest import make_image, make_video
from tests.publishing.conftest import media_app, publish_env  # noqa: F401  (fixtures)
from tests.servers import free_port


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """A sandbox of this package's own (what it publishes must not change other packages' counts)."""
    from tests.servers import SandboxHandle

    handle = SandboxHandle(tmp_path_factory.mktemp("media-store-sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3-compatible server, in this process's threads, on a free port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class S3:
    url: str
    bucket: str
    client: object  # a boto3 S3 client, the test's own view of the bucket

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


ACCESS_KEY, SECRET_KEY = "socialhub-test-access", "socialhub-test-secret-9f2c"


def s3_client(url: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path) -> Iterator[S3]:
    """A fresh bucket, and the settings selecting it (proxy delivery unless a test changes it)."""
    from socialhub.config import reset_settings_cache

    bucket = f"media-{secrets.token_hex(6)}"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    for name, value in {
        "SOCIALHUB_MEDIA_STORE": "s3",
        "SOCIALHUB_MEDIA_S3_BUCKET": bucket,
        "SOCIALHUB_MEDIA_S3_ENDPOINT_URL": s3_server,
        "SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "SOCIALHUB_MEDIA_S3_PREFIX": "hub/",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    yield S3(s3_server, bucket, client)
    reset_settings_cache()


@pytest.fixture(scope="session")
def media_files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("s3-media")
    make_image(d / "photo.jpg", size=(1080, 1080), color=(17, 171, 93))  # bytes no other test stores
    make_video(d / "clip.mp4", size=(480, 270), seconds=3)
    return d


def become_worker_elsewhere(tmp_path: Path, monkeypatch) -> Path:
    """Turn this process into a worker on another machine: an empty data directory, the same
    database and the same encryption keys (what scale-out requires)."""
    from socialhub import security
    from socialhub.config import get_settings, reset_settings_cache

    settings = get_settings()
    keys = security.key_file_path(settings).read_text().split()
    monkeypatch.setenv("SOCIALHUB_ENCRYPTION_KEYS", ",".join(keys))
    monkeypatch.setenv("DATABASE_URL", settings.db_url.replace("postgresql+psycopg://", "postgresql://"))
    worker_dir = tmp_path / "worker-data"
    monkeypatch.setenv("SOCIALHUB_DATA_DIR", str(worker_dir))
    reset_settings_cache()
    assert get_settings().data_dir == worker_dir and not worker_dir.exists()
    return worker_dir
