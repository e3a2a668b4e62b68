"""Buckets: local folders or S3, behind one small contract (``Store``).

``open_store(url)`` is the only place that looks at a bucket URL's scheme; ``layout`` is the only place that
knows which key means what.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pipeline.errors import ConfigurationError
from pipeline.storage.base import ObjectInfo, Store, check_key
from pipeline.storage.errors import AccessDenied, BucketNotFound, InvalidKey, ObjectNotFound, StorageError

if TYPE_CHECKING:
    from pipeline.config import Settings

__all__ = [
    "AccessDenied", "BucketNotFound", "Buckets", "InvalidKey", "ObjectInfo", "ObjectNotFound", "StorageError",
    "Store", "check_key", "open_buckets", "open_store",
]


def open_store(url: str, *, s3_client: Any = None, endpoint_url: str | None = None) -> Store:
    """The store behind a bucket URL: ``file:///abs/folder`` or ``s3://bucket[/prefix]``.

    For S3, ``s3_client`` is used when given (tests, Airflow's ``S3Hook(...).get_conn()``); otherwise a client
    is built for ``endpoint_url`` (``Settings.aws_endpoint_url``, as ``open_buckets`` passes it); when that is
    None, boto3's own configuration chain decides (AWS itself unless configured otherwise).
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ConfigurationError(f"{url!r}: a file URL needs an absolute path (file:///srv/carm/…)")
        from pipeline.storage.local import LocalStore

        return LocalStore(Path(url2pathname(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigurationError(f"{url!r}: an s3 URL needs a bucket (s3://bucket[/prefix])")
        from pipeline.storage.s3 import S3Store, make_s3_client

        if s3_client is None:
            s3_client = make_s3_client(endpoint_url)
        return S3Store(s3_client, parts.netloc, parts.path)
    raise ConfigurationError(f"{url!r}: only file:// and s3:// bucket URLs are supported")


@dataclass(frozen=True, slots=True)
class Buckets:
    inbound: Store
    outbound: Store
    archive: Store


def open_buckets(settings: Settings, *, s3_client: Any = None) -> Buckets:
    """The three buckets of spec/interfaces.md; S3 buckets share one client."""
    urls = (settings.inbound_url, settings.outbound_url, settings.archive_url)
    if s3_client is None and any(url.startswith("s3:") for url in urls):
        from pipeline.storage.s3 import make_s3_client

        s3_client = make_s3_client(settings.aws_endpoint_url)
    inbound, outbound, archive = (
        open_store(url, s3_client=s3_client, endpoint_url=settings.aws_endpoint_url) for url in urls
    )
    return Buckets(inbound, outbound, archive)
