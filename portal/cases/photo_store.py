"""Where the photos' bytes are kept: a folder (the default) or an S3-compatible object store
(MinIO, a cloud's S3), so that several app hosts serve the same photos.

A photo's key is a relative path such as ``cases/12/3f…a9.jpg``; the database row holds the
key, the store the bytes. Keys are random and never reused, so what a key names never changes.
The store is chosen by settings (``PHOTO_STORE`` and, for ``s3``, the ``S3_*`` ones) and made
once per process for those settings; boto3 is needed only when the setting asks for it."""

import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol

from flask import current_app

KINDS = ("folder", "s3")


class StoreUnavailable(Exception):
    """The store could not be reached or refused the request (logged; people get a message)."""


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The bytes under the key, or None when nothing is stored there."""
        ...

    def delete(self, key: str) -> None: ...


class FolderStore:
    """Files under one folder; for several hosts, a folder they all mount."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        path = (self.folder / key).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise ValueError(f"photo key outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so that another host never reads half a photo.
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as error:
            raise StoreUnavailable(f"cannot write {path}: {error}") from error

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreUnavailable(f"cannot read {key}: {error}") from error

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as error:
            raise StoreUnavailable(f"cannot delete {key}: {error}") from error


class S3Store:
    """One bucket of an S3-compatible object store, through boto3. Credentials come from
    boto3's usual places (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance
    role). The client is made on first use, in the worker process that uses it."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str = "", region: str = ""):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        connect_timeout=5,
                        read_timeout=15,
                        retries={"max_attempts": 3, "mode": "standard"},
                        # MinIO and most self-hosted stores address buckets by path.
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                    )
                    self._client = boto3.session.Session().client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        region_name=self.region,
                        config=config,
                    )
        return self._client

    def _call(self, operation, key: str, **arguments):
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"{operation} {self.bucket}/{self.prefix}{key}"
        try:
            return getattr(self.client(), operation)(
                Bucket=self.bucket, Key=self.prefix + key, **arguments
            )
        except ClientError as error:
            if operation == "get_object" and error.response.get("Error", {}).get("Code") in (
                "NoSuchKey",
                "404",
            ):
                return None
            raise StoreUnavailable(f"{where}: {error}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"{where}: {error}") from error

    def put(self, key: str, data: bytes) -> None:
        self._call("put_object", key, Body=data, ContentType="image/jpeg")

    def get(self, key: str) -> bytes | None:
        found = self._call("get_object", key)
        return None if found is None else found["Body"].read()

    def delete(self, key: str) -> None:
        self._call("delete_object", key)


def settings_problem(config) -> str | None:
    """What is wrong with the photo store settings, for the log at start-up; None if nothing."""
    kind = config.get("PHOTO_STORE", "folder")
    if kind not in KINDS:
        return f"PORTAL_PHOTO_STORE is {kind!r}; it takes {' or '.join(KINDS)}"
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            return "PORTAL_PHOTO_STORE is s3 but PORTAL_S3_BUCKET is not set"
        try:
            import boto3  # noqa: F401
        except ImportError:
            return "PORTAL_PHOTO_STORE is s3 but boto3 is not installed (pip install '.[s3]')"
    return None


def _settings(config) -> tuple:
    return (
        config.get("PHOTO_STORE", "folder"),
        config["UPLOAD_FOLDER"],
        config.get("S3_BUCKET", ""),
        config.get("S3_PREFIX", ""),
        config.get("S3_ENDPOINT_URL", ""),
        config.get("S3_REGION", ""),
    )


def current() -> PhotoStore:
    """The app's store for its present settings (made once, then reused)."""
    settings = _settings(current_app.config)
    made = current_app.extensions.get("portal.photo_store")
    if made is None or made[0] != settings:
        kind, folder, bucket, prefix, endpoint_url, region = settings
        store: PhotoStore = (
            S3Store(bucket, prefix=prefix, endpoint_url=endpoint_url, region=region)
            if kind == "s3"
            else FolderStore(folder)
        )
        made = current_app.extensions["portal.photo_store"] = (settings, store)
    return made[1]
