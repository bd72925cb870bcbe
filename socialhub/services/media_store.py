"""Where media bytes live: a local directory (one machine, the default) or an S3-compatible
bucket (MinIO or any S3 service), chosen by `SOCIALHUB_MEDIA_STORE` (README "Media storage").

Keys are the relative paths `media_files` already stores: `<2 hex>/<sha256>.<ext>` for a
file, `previews/<2 hex>/<sha256>.jpg` for its preview; S3 object names add
`SOCIALHUB_MEDIA_S3_PREFIX`. A file's key names its content, so a copy can always be checked.

Workers read files from their own disk: `local_file(key)` is the stored file itself for the
local store, and for S3 a copy downloaded into `<data dir>/media-cache/` (checked against
the SHA-256 in its name, renamed into place only when whole, least recently used copies
removed past `SOCIALHUB_MEDIA_CACHE_MB`). The S3 client is boto3; secrets reach it from the
settings and are never logged or put into an error message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from socialhub.config import Settings, get_settings

log = logging.getLogger(__name__)

_SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class StoreError(RuntimeError):
    """The media store cannot be used; the message says which setting to look at."""


class MediaMissing(StoreError):
    """The store has no object under this key."""


class MediaCorrupt(StoreError):
    """A downloaded copy does not match the SHA-256 its name promises."""


class RangeNotSatisfiable(StoreError):
    def __init__(self, size: int) -> None:
        super().__init__(f"The range asked for is outside the object ({size} bytes).")
        self.size = size


def expected_digest(key: str) -> str | None:
    """The SHA-256 a key promises (files, not previews: a preview is named after its file)."""
    if key.startswith("previews/"):
        return None
    stem = Path(key).name.split(".", 1)[0]
    return stem if _SHA256_NAME.match(stem) else None


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class LocalStore:
    """Files under `<data dir>/media`: what SocialHub did before S3 existed, unchanged."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, src: Path, content_type: str | None = None) -> None:
        dest = self.path(key)
        if dest.exists():
            return
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = dest.with_suffix(".part")
        shutil.copyfile(src, tmp)
        tmp.chmod(0o600)
        tmp.replace(dest)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def local_file(self, key: str) -> Path:
        return self.path(key)

    def check(self) -> None:
        return None


class S3Store:
    """An S3-compatible bucket through boto3, with a local download cache for workers."""

    kind = "s3"

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.settings = settings
        self.bucket = settings.media_s3_bucket
        prefix = settings.media_s3_prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.cache_root = settings.data_dir / "media-cache"
        config = Config(
            s3={"addressing_style": settings.media_s3_addressing_style},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        access_key = settings.media_s3_access_key_id
        secret_key = settings.media_s3_secret_access_key
        session = boto3.session.Session(
            aws_access_key_id=access_key.get_secret_value() if access_key else None,
            aws_secret_access_key=secret_key.get_secret_value() if secret_key else None,
            region_name=settings.media_s3_region,
        )
        self.client = session.client("s3", endpoint_url=settings.media_s3_endpoint_url, config=config)
        public = settings.media_s3_public_endpoint_url
        self.presign_client = (
            session.client("s3", endpoint_url=public, config=config) if public else self.client
        )
        self._evict_lock = threading.Lock()

    def object_name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    # --- objects -----------------------------------------------------------------------------
    def put(self, key: str, src: Path, content_type: str | None = None) -> None:
        """Upload unless an object of this key (named by its content) is already there."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self.exists(key):
                return
            extra = {"ContentType": content_type} if content_type else {}
            self.client.upload_file(str(src), self.bucket, self.object_name(key), ExtraArgs=extra or None)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            log.warning("media store: storing %s failed: %s", self.object_name(key), exc)
            raise StoreError(
                "The file could not be saved: the media store did not answer. Try again in a few minutes."
            ) from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return int(head["ContentLength"]) if head else None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def open(self, key: str, byte_range: str | None = None) -> tuple[IO[bytes], int, str | None]:
        """The object's body (a stream the caller closes), its length and, for a single
        `bytes=a-b` range, the Content-Range S3 answered. Raises MediaMissing, or
        RangeNotSatisfiable with the object's size."""
        from botocore.exceptions import ClientError

        extra = {"Range": byte_range} if byte_range else {}
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key), **extra)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey"):
                raise MediaMissing(f"The media store has no object {self.object_name(key)}.") from exc
            if code == "InvalidRange":
                raise RangeNotSatisfiable(self.size(key) or 0) from exc
            raise
        return got["Body"], int(got["ContentLength"]), got.get("ContentRange")

    def presigned_url(self, key: str, *, seconds: int, method: str = "GET", mime_type: str = "") -> str:
        """A URL anyone may use for `seconds` to GET (or HEAD) this object, nothing else."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_name(key)}
        if mime_type and method == "GET":
            params["ResponseContentType"] = mime_type
        operation = "head_object" if method == "HEAD" else "get_object"
        return self.presign_client.generate_presigned_url(operation, Params=params, ExpiresIn=seconds)

    # --- the worker's local copies -------------------------------------------------------------
    def local_file(self, key: str) -> Path:
        """A local copy of the object: from the cache, else downloaded, checked and renamed
        into place. Raises MediaMissing or MediaCorrupt (nothing is left behind then)."""
        from botocore.exceptions import BotoCoreError, ClientError

        dest = self.cache_root / key
        if dest.exists():
            os.utime(dest)  # recently used: the last to be evicted
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".dl-", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                try:
                    self.client.download_fileobj(self.bucket, self.object_name(key), fh)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                        raise MediaMissing(
                            f"The media store has no object {self.object_name(key)}: the file is gone."
                        ) from exc
                    raise StoreError(f"The media store refused the download of {key}: {exc}") from exc
                except BotoCoreError as exc:
                    raise StoreError(f"The media store could not be reached: {exc}") from exc
            digest = expected_digest(key)
            if digest is not None:
                got = file_sha256(tmp)
                if got != digest:
                    raise MediaCorrupt(
                        f"The copy of {self.object_name(key)} downloaded from the media store does "
                        f"not match its SHA-256 (got {got[:12]}…); the stored object is damaged."
                    )
            tmp.chmod(0o600)
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
        self.evict(keep=dest)
        return dest

    def evict(self, keep: Path | None = None) -> int:
        """Delete least recently used copies until the cache fits `SOCIALHUB_MEDIA_CACHE_MB`.
        A copy used within a publish lease is kept (a provider may be reading it), so the
        cache can exceed the cap while many are in use. Returns how many were deleted."""
        cap = self.settings.media_cache_mb * 1024 * 1024
        in_use_since = time.time() - self.settings.publish_lease_seconds
        removed = 0
        with self._evict_lock:
            files = []
            for path in self.cache_root.rglob("*"):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                if not path.is_file():
                    continue
                if path.name.startswith(".dl-"):  # a download a killed worker left
                    if st.st_mtime < time.time() - 3600:
                        path.unlink(missing_ok=True)
                    continue
                files.append((st.st_mtime, st.st_size, path))
            total = sum(size for _, size, _ in files)
            for mtime, size, path in sorted(files):
                if total <= cap:
                    break
                if path == keep or mtime > in_use_since:
                    continue
                path.unlink(missing_ok=True)
                total -= size
                removed += 1
        return removed

    # --- start-up ---------------------------------------------------------------------------
    def check(self) -> None:
        """Raise StoreError naming the setting at fault when the bucket cannot be used."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        where = self.settings.media_s3_endpoint_url or "AWS S3"
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except NoCredentialsError as exc:
            raise StoreError(
                "SOCIALHUB_MEDIA_STORE=s3 but no S3 credentials were found: set "
                "SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID and SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY."
            ) from exc
        except EndpointConnectionError as exc:
            raise StoreError(
                f"Cannot reach the media store at {where} (SOCIALHUB_MEDIA_S3_ENDPOINT_URL): {exc}"
            ) from exc
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket"):
                raise StoreError(
                    f"The bucket {self.bucket!r} does not exist at {where} (SOCIALHUB_MEDIA_S3_BUCKET)."
                ) from exc
            if code in ("403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"):
                raise StoreError(
                    f"The media store at {where} refused the credentials for bucket {self.bucket!r} "
                    "(SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID / SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY, or "
                    "their permissions on the bucket)."
                ) from exc
            if code in ("301", "400", "PermanentRedirect", "AuthorizationHeaderMalformed"):
                raise StoreError(
                    f"The bucket {self.bucket!r} answered {code}: check SOCIALHUB_MEDIA_S3_REGION "
                    f"({self.settings.media_s3_region}) and SOCIALHUB_MEDIA_S3_ADDRESSING_STYLE."
                ) from exc
            raise StoreError(
                f"The media store at {where} answered {code} for bucket {self.bucket!r}."
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"The media store at {where} could not be used (SOCIALHUB_MEDIA_S3_*): {exc}"
            ) from exc


MediaStore = LocalStore | S3Store

_current: tuple[Settings, int, MediaStore] | None = None
_lock = threading.Lock()


def _settings_problem(settings: Settings) -> str | None:
    if settings.media_store != "s3":
        return None
    if not settings.media_s3_bucket:
        return "SOCIALHUB_MEDIA_STORE=s3 needs SOCIALHUB_MEDIA_S3_BUCKET (the bucket's name)."
    if bool(settings.media_s3_access_key_id) != bool(settings.media_s3_secret_access_key):
        return (
            "Set both SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID and SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY, "
            "or neither (boto3's own AWS_* variables or instance role)."
        )
    return None


def get_store(settings: Settings | None = None) -> MediaStore:
    """The store the settings select: one per settings object (reset with the settings cache)
    and per process (RQ runs each job in a fork; a forked job must not share the parent's
    pooled connections)."""
    global _current
    settings = settings or get_settings()
    with _lock:
        if _current is not None and _current[0] is settings and _current[1] == os.getpid():
            return _current[2]
        problem = _settings_problem(settings)
        if problem:
            raise StoreError(problem)
        store: MediaStore
        if settings.media_store == "s3":
            store = S3Store(settings)
        else:
            root = settings.data_dir / "media"
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            store = LocalStore(root)
        _current = (settings, os.getpid(), store)
        return store


def check_store(settings: Settings | None = None) -> None:
    """The start-up check: raises StoreError (naming the setting) when S3 is selected and
    its bucket cannot be reached with the credentials given. Nothing to do for local."""
    get_store(settings).check()
