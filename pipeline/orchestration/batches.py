"""Inbox ids into batches for dynamic task mapping: one mapped ``process`` instance per batch.

A batch travels through XCom as a small JSON object: its number, the number of batches in the run, and the
inbox ids (never file contents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def plan_batches(groups: Sequence[Sequence[int]], size: int) -> list[dict[str, Any]]:
    """Sender groups of inbox ids (``pipeline.intake.sender_groups``) packed into batches of about ``size`` files:
    ``[{"number", "of", "inbox_ids"}]``.

    A sender's files are never split across batches: mapped batches run at the same time, and a change must be
    judged after the original it changes, which the same sender filed earlier. Small groups share a batch; a group
    larger than ``size`` is a batch of its own.
    """
    if size < 1:
        raise ValueError("a batch holds at least one file")
    chunks: list[list[int]] = []
    for group in groups:
        ids = [int(i) for i in group]
        if not ids:
            continue
        if chunks and len(chunks[-1]) + len(ids) <= size:
            chunks[-1].extend(ids)
        else:
            chunks.append(ids)
    return [{"number": n, "of": len(chunks), "inbox_ids": chunk} for n, chunk in enumerate(chunks, start=1)]


def batch_label(batch: Mapping[str, Any]) -> str:
    """How a batch is named in the UI and the logs: ``batch 2/3: 50 files (inbox 51…100)``."""
    ids = list(batch["inbox_ids"])
    files = f"{len(ids)} file" + ("" if len(ids) == 1 else "s")
    span = f"inbox {ids[0]}" if len(ids) == 1 else f"inbox {min(ids)}…{max(ids)}" if ids else "no files"
    return f"batch {batch['number']}/{batch['of']}: {files} ({span})"
