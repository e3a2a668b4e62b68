"""Store I/O over many files at once, each file's fault kept as data: one file's missing object or unreachable
store must not stop the others, which intake and quarantine record per file (retryable or not).

A missing or unusable bucket is the exception: it is the configuration's fault, not any file's, so it stops the
run and every file stays pending for the run after the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipeline.errors import TransientError
from pipeline.storage import BucketNotFound, StorageError


def guarded(action: Callable[..., Any]) -> Callable[..., tuple[Any, BaseException | None]]:
    """``action`` returning (result, None), or (None, fault) when a store fails on that one file."""

    def guarded_action(*arguments: Any) -> tuple[Any, BaseException | None]:
        try:
            return action(*arguments), None
        except BucketNotFound:
            raise
        except (StorageError, TransientError, OSError) as exc:
            return None, exc

    return guarded_action


def each_file(action: Callable[[Any], Any], items: Sequence[Any], *, threads: int) -> list[tuple[Any, BaseException | None]]:
    """``action`` over ``items`` on up to ``threads`` threads: (result, None) or (None, fault) per item, in order."""
    one = guarded(action)
    if len(items) <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(one, items))
