"""The cyclic garbage collector, paused while a step builds many objects that form no cycles.

Each full collection walks every tracked object alive; a step that builds 10^5-10^6 small objects (a batch's
columns, a parsed interchange, the reference data) would pay for walking them again and again and free nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collection paused for the ``with`` block, restored after (left off if it was off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
