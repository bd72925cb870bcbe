"""The S3 media store against a real S3-compatible server: uploads land in the bucket and
not on disk, workers' copies are checked and bounded, and start-up names the setting at fault."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from socialhub.config import get_settings, reset_settings_cache
from socialhub.models import MediaFile
from socialhub.services import library, media, media_store
from socialhub.services.media_probe import inspect
from socialhub.services.startup import StartupRefused, check_media_store
from tests.connections.conftest import make_user
from tests.servers import free_port


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_library_upload_lands_in_the_bucket_and_not_on_local_disk(db, s3, media_files):
    user = make_user(db)
    item = library.create_item(db, user_id=user.id, title="Trip")
    for name in ("photo.jpg", "clip.mp4"):
        src = media_files / name
        library.add_media(
            db, user_id=user.id, item_id=item.id, src=src, info=inspect(src, name=name), original_name=name
        )
    db.commit()
    files = db.exec(select(MediaFile).order_by(MediaFile.position)).all()
    expected = []
    for f, name in zip(files, ("photo.jpg", "clip.mp4"), strict=True):
        content = (media_files / name).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        assert f.path == f"{digest[:2]}/{digest}.{name.rsplit('.', 1)[1]}"
        assert s3.get(f"hub/{f.path}") == content  # the bytes, under the prefix
        assert f.thumbnail_path == f"previews/{digest[:2]}/{digest}.jpg"
        expected += [f"hub/{f.path}", f"hub/{f.thumbnail_path}"]
        head = s3.client.head_object(Bucket=s3.bucket, Key=f"hub/{f.path}")
        assert head["ContentType"] == f.mime_type
    assert s3.keys() == sorted(expected)
    local = get_settings().data_dir / "media"  # shared with other tests: look for these files
    assert not any((local / key).exists() for f in files for key in (f.path, f.thumbnail_path))
    # The page's previews come from the bucket (through the cache): a real JPEG.
    import base64

    uri = media.preview_data_uri(files[1])
    assert base64.b64decode(uri.split(",", 1)[1])[:3] == b"\xff\xd8\xff"
    # Deleting the item deletes the objects nothing else uses.
    orphans = library.delete_item(db, user_id=user.id, item_id=item.id)
    db.commit()
    media.delete_stored(orphans)
    assert s3.keys() == []


def test_the_same_file_twice_is_stored_once(db, s3, media_files):
    user = make_user(db)
    src = media_files / "photo.jpg"
    for title in ("One", "Two"):
        item = library.create_item(db, user_id=user.id, title=title)
        library.add_media(
            db,
            user_id=user.id,
            item_id=item.id,
            src=src,
            info=inspect(src, name="a.jpg"),
            original_name="a.jpg",
        )
    db.commit()
    assert len(s3.keys()) == 2  # one file, one preview
    first = db.exec(select(MediaFile)).first()
    # Removing one item keeps the objects the other still uses.
    orphans = library.delete_item(db, user_id=user.id, item_id=first.library_item_id)
    db.commit()
    assert orphans == []
    assert len(s3.keys()) == 2


def test_a_damaged_object_is_detected_and_never_lands_in_the_cache(db, s3, media_files):
    user = make_user(db)
    stored = media.store_file(db, user_id=user.id, src=media_files / "photo.jpg")
    db.commit()
    store = media_store.get_store()
    s3.client.put_object(Bucket=s3.bucket, Key=f"hub/{stored.path}", Body=b"\xff\xd8\xff damaged bytes")
    with pytest.raises(media_store.MediaCorrupt, match="does not match its SHA-256"):
        media.local_copy(stored.path)
    folder = (store.cache_root / stored.path).parent
    assert _files_under(folder) == []  # neither the copy nor its partial download
    # Repaired in the store, the next attempt gets a checked copy.
    s3.client.upload_file(str(media_files / "photo.jpg"), s3.bucket, f"hub/{stored.path}")
    copy = media.local_copy(stored.path)
    assert copy.read_bytes() == (media_files / "photo.jpg").read_bytes()
    assert copy.is_relative_to(store.cache_root) and oct(copy.stat().st_mode & 0o777) == "0o600"
    # A missing object says so.
    s3.client.delete_object(Bucket=s3.bucket, Key=f"hub/{stored.path}")
    copy.unlink()
    with pytest.raises(media_store.MediaMissing, match="gone"):
        media.local_copy(stored.path)


def test_the_cache_stays_within_its_size_but_keeps_files_in_use(db, s3, tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALHUB_MEDIA_CACHE_MB", "2")
    reset_settings_cache()
    user = make_user(db)
    keys = []
    for i in range(4):  # four 600 kB files: 2.4 MB, more than the cache may keep
        src = tmp_path / f"f{i}.jpg"
        src.write_bytes(b"\xff\xd8\xff" + os.urandom(600 * 1024))
        keys.append(media.store_file(db, user_id=user.id, src=src).path)
    db.commit()
    store = media_store.get_store()
    shutil.rmtree(store.cache_root, ignore_errors=True)  # what earlier tests cached
    paths = [media.local_copy(k) for k in keys]
    # Every copy was used moments ago (within a publish lease): none is taken from a reader.
    assert all(p.exists() for p in paths)
    # Once they are older than a lease, the least recently used go first.
    old = time.time() - 3600
    for n, p in enumerate(paths):
        os.utime(p, (old + n, old + n))
    fresh = media.local_copy(keys[0])  # a cache hit marks it used now
    assert store.evict() == 1
    assert [p.exists() for p in paths] == [True, False, True, True]
    assert fresh == paths[0]
    assert sum(p.stat().st_size for p in _files_under(store.cache_root)) <= 2 * 1024 * 1024


# --- start-up -------------------------------------------------------------------------------


def _refused(match: str) -> None:
    reset_settings_cache()
    with pytest.raises(StartupRefused, match=match) as caught:
        check_media_store(get_settings())
    assert "socialhub-test-secret" not in str(caught.value)


def test_start_up_names_the_missing_bucket(s3, monkeypatch):
    check_media_store(get_settings())  # the fixture's bucket is fine
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_BUCKET", "no-such-bucket-here")
    _refused(r"'no-such-bucket-here' does not exist .*SOCIALHUB_MEDIA_S3_BUCKET")
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_BUCKET", "")
    _refused(r"SOCIALHUB_MEDIA_STORE=s3 needs SOCIALHUB_MEDIA_S3_BUCKET")


def test_start_up_names_an_unreachable_endpoint(s3, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_ENDPOINT_URL", dead)
    _refused(rf"Cannot reach the media store at {dead} \(SOCIALHUB_MEDIA_S3_ENDPOINT_URL\)")


def test_start_up_names_half_given_credentials(s3, monkeypatch):
    monkeypatch.delenv("SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY")
    _refused(r"Set both SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID and SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY")


@pytest.fixture
def s3_with_auth(tmp_path) -> Iterator[str]:
    """A second moto server that checks credentials (its own process: moto reads the
    setting at import), so wrong keys are refused as a real S3 service refuses them."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    log = (tmp_path / "moto.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(url + "/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_start_up_names_wrong_credentials(s3, s3_with_auth, monkeypatch):
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_ENDPOINT_URL", s3_with_auth)
    _refused(
        r"refused the credentials .*SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID / SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY"
    )


def test_the_local_store_stays_the_default(db, tmp_path):
    reset_settings_cache()
    assert get_settings().media_store == "local"
    store = media_store.get_store()
    assert isinstance(store, media_store.LocalStore) and store.root == get_settings().data_dir / "media"
    check_media_store(get_settings())  # nothing to reach
    src = tmp_path / "a.jpg"
    src.write_bytes(b"\xff\xd8\xff" + bytes(100))
    stored = media.store_file(db, user_id=make_user(db).id, src=src)
    assert media.local_copy(stored.path) == media.absolute_path(stored)
    assert media.absolute_path(stored).read_bytes() == src.read_bytes()


def test_an_upload_while_the_store_is_down_says_so_and_stores_nothing(db, s3, media_files, monkeypatch):
    user = make_user(db)
    item = library.create_item(db, user_id=user.id, title="Trip")
    db.commit()
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings_cache()
    src = media_files / "photo.jpg"
    with pytest.raises(media_store.StoreError, match="could not be saved: the media store did not answer"):
        library.add_media(
            db,
            user_id=user.id,
            item_id=item.id,
            src=src,
            info=inspect(src, name="p.jpg"),
            original_name="p.jpg",
        )
    db.rollback()
    assert db.exec(select(MediaFile)).all() == [] and s3.keys() == []


def test_the_worker_and_the_whole_start_up_refuse_a_store_they_cannot_use(db, s3, monkeypatch):
    from socialhub.services.startup import check_startup
    from worker.main import run_worker

    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_BUCKET", "gone-bucket")
    reset_settings_cache()
    with pytest.raises(SystemExit, match=r"The worker cannot start: The bucket 'gone-bucket' does not exist"):
        run_worker(burst=True)
    with pytest.raises(StartupRefused, match="SOCIALHUB_MEDIA_S3_BUCKET"):
        check_startup(get_settings())
