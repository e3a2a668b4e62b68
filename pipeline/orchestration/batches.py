"""Inbox ids into batches for dynamic task mapping: one mapped ``process`` instance per batch.

A batch travels through XCom as a small JSON object: its number, the number of batches in the run, and the
inbox ids (never file contents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def plan_batches(inbox_ids: Sequence[int], size: int) -> list[dict[str, Any]]:
    """``inbox_ids`` in their order, cut into batches of at most ``size``: ``[{"number", "of", "inbox_ids"}]``."""
    if size < 1:
        raise ValueError("a batch holds at least one file")
    ids = [int(i) for i in inbox_ids]
    chunks = [ids[start:start + size] for start in range(0, len(ids), size)]
    return [{"number": n, "of": len(chunks), "inbox_ids": chunk} for n, chunk in enumerate(chunks, start=1)]


def batch_label(batch: Mapping[str, Any]) -> str:
    """How a batch is named in the UI and the logs: ``batch 2/3: 50 files (inbox 51…100)``."""
    ids = list(batch["inbox_ids"])
    files = f"{len(ids)} file" + ("" if len(ids) == 1 else "s")
    span = f"inbox {ids[0]}" if len(ids) == 1 else f"inbox {min(ids)}…{max(ids)}" if ids else "no files"
    return f"batch {batch['number']}/{batch['of']}: {files} ({span})"
