"""The storage contract every bucket satisfies, whether a local folder or S3.

Code above this package never knows which one it has. Keys are ``/``-separated paths relative to the bucket
(and to its prefix, for ``s3://bucket/prefix``); ``list`` returns them in ascending key order on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from pipeline.storage.errors import InvalidKey


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # MD5 hex of the content on both backends (S3's single-PUT ETag, without quotes)
    modified: datetime  # aware, UTC


@runtime_checkable
class Store(Protocol):
    @property
    def url(self) -> str:
        """The bucket's own URL (``file:///…`` or ``s3://bucket[/prefix]``): its identity in the database."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a plain string prefix, as on S3), by ascending key."""
        ...

    def read(self, key: str) -> bytes: ...

    def write(self, key: str, data: bytes) -> ObjectInfo:
        """Create or replace the object. Readers see the old content or the new one, never a part of it."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error (S3 semantics, and retries stay safe)."""
        ...

    def url_for(self, key: str) -> str: ...


def check_key(key: str, *, backslash: bool = False) -> str:
    """Return ``key`` if every store can hold it unambiguously, else raise ``InvalidKey``.

    Rejected: empty keys, a leading or doubled ``/``, ``.`` and ``..`` segments (they would escape a local root
    or mean different objects on the two backends), backslashes (a separator on some file systems) and NUL.
    ``backslash``: accept backslashes, for reading and removing what a sender dropped (a plain character in a
    POSIX file name or an S3 key), never for writing.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"invalid key {key!r}: empty")
    if ("\\" in key and not backslash) or "\x00" in key:
        raise InvalidKey(f"invalid key {key!r}: backslash or NUL")
    segments = key.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise InvalidKey(f"invalid key {key!r}: empty, '.' or '..' segment, or a leading or trailing '/'")
    return key


def check_data(data: bytes) -> bytes:
    if isinstance(data, str):
        raise TypeError("a store holds bytes; encode text before writing it")
    return bytes(data)
