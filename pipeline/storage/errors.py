"""Storage faults. Missing objects, missing buckets, refused access and bad keys are terminal (retrying cannot
help); an unreachable, throttling or failing store raises ``pipeline.errors.TransientError`` itself."""

from __future__ import annotations

from pipeline.errors import TerminalError


class StorageError(TerminalError):
    """A store refused a request for a reason that retrying will not change."""


class ObjectNotFound(StorageError):
    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: no such object")
        self.url = url


class BucketNotFound(StorageError):
    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: no such bucket")
        self.url = url


class AccessDenied(StorageError):
    pass


class InvalidKey(StorageError):
    """A key that no store may hold: empty, absolute, with ``.``/``..`` or empty segments, or a backslash."""
