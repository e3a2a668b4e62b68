"""``carm intake``: discover, then process everything pending in batches; and the run log.

Large runs use every core: the pending files are split by sender folder, and each sender's files are processed
in order by one worker process (its own runtime: engine, buckets, reference data). Order matters only within a
sender — a provider sends an original before its change, and B04/B05 judge a file as if the ones before it
were posted — while files of different senders have no order between them (the listing order of the bucket is
an accident). Workers that collide on the ledger's unique keys are sorted out as two concurrent ``process_batch``
calls are (``process``). Small runs, runs with a stage hook, and ``workers=1`` stay in this process. Workers
die with the process that started them (``worker_pool``).
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from multiprocessing import get_all_start_methods, get_context
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.intake import inbox
from pipeline.intake.discover import discover
from pipeline.intake.process import BATCH_FILES, StageHook, process_batch
from pipeline.intake.summary import IntakeSummary
from pipeline.ledger import InboxEntry, Run
from pipeline.ledger.database import database_fault

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.runtime import Runtime

#: Called after each batch (or each sender, with workers) with (files done, files to do).
Progress = Callable[[int, int], None]
#: At most this many worker processes (each holds a batch in memory and a database connection).
MAX_WORKERS = 4
#: Runs reading more than this use a worker per core even with fewer files than a batch (about 5,000 CADs: a few
#: seconds of work, against a fraction of a second to start the workers).
WORKERS_FROM_BYTES = 8 * 2**20


def run_intake(
    runtime: Runtime, *, as_of: str | datetime | None = None, after_stage: StageHook | None = None,
    progress: Progress | None = None, workers: int | None = None,
) -> IntakeSummary:
    """Process every pending inbound file once: ``discover_pending`` then ``process_batch`` over all of it, in
    batches of ``BATCH_FILES`` files to bound memory. ``workers``: processes to use (None: one per core, up to
    ``MAX_WORKERS``, when there is more than a batch to do). The run is logged in the ``runs`` table."""
    started, timer = clock.real_now(), time.perf_counter()
    moment = runtime.business_moment(as_of)
    found = discover(runtime, as_of=moment)
    summary = IntakeSummary(quarantined=found.quarantined, already_processed=found.repeated, failures=found.set_aside)
    total = len(found.pending)
    if progress is not None:
        progress(0, total)
    sizes: dict[str | None, int] = {}
    groups = sender_groups(runtime, found.pending, sizes=sizes)
    count = worker_count(workers, total, len(groups), after_stage, size=sum(sizes.values()))
    done = 0
    if count <= 1:
        for part in inbox.chunks(found.pending, BATCH_FILES):
            summary = summary.merge(process_batch(runtime, part, as_of=moment, after_stage=after_stage))
            done += len(part)
            if progress is not None:
                progress(done, total)
    else:
        with worker_pool(count) as pool:
            futures = {pool.submit(process_in_worker, runtime.settings, group, moment): len(group) for group in groups}
            for future in as_completed(futures):
                summary = summary.merge(future.result())
                done += futures[future]
                if progress is not None:
                    progress(done, total)
    summary = summary.timed(time.perf_counter() - timer)
    record_run(runtime, "intake", moment, started, summary)
    return summary


def worker_pool(count: int) -> ProcessPoolExecutor:
    """``count`` worker processes that die with this process, even when it is killed (SIGKILL, the OOM killer,
    a node going away) and cannot tell them to stop: a worker left behind would go on posting with nobody to
    collect its result, and hold its database connection and sender leases."""
    return ProcessPoolExecutor(max_workers=count, mp_context=_process_context(), initializer=die_with_parent,
                               initargs=(os.getpid(),))


def die_with_parent(parent: int) -> None:
    """Worker initializer: on Linux, ask the kernel to SIGKILL this process when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread that exits the process once it has been
    re-parented (the parent is gone), for systems without that call."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl in this C library: the thread below still watches
            pass
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="carm-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: How often the fallback watch looks at the parent (seconds).
PARENT_POLL = 1.0


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)


def _process_context():  # noqa: ANN202 - a multiprocessing context
    """Fork where the platform has it: a forked worker starts at once and does not import the caller's main
    module again (which ``spawn`` does, and which breaks scripts without a ``__main__`` guard). The worker opens
    its own runtime and never touches the parent's engine or clients."""
    return get_context("fork" if "fork" in get_all_start_methods() else "spawn")


def worker_count(requested: int | None, files: int, groups: int, after_stage: StageHook | None, *,
                 size: int = 0) -> int:
    """Worker processes for a run of ``files`` (``size`` bytes) from ``groups`` senders: ``requested``, else one
    per core (up to ``MAX_WORKERS``) when there is more than a batch of files or more than ``WORKERS_FROM_BYTES``
    to read, else this process alone (starting workers costs more than it saves on a few small files)."""
    if after_stage is not None or groups <= 1:
        return 1  # a hook lives in this process; one sender cannot be split without losing its order
    if requested is None:
        large = files > BATCH_FILES or size > WORKERS_FROM_BYTES
        requested = min(os.cpu_count() or 1, MAX_WORKERS) if large else 1
    return max(1, min(requested, groups))


def sender_groups(runtime: Runtime, ids: Sequence[int], *, sizes: dict[str | None, int] | None = None
                  ) -> list[list[int]]:
    """The pending ids by sender folder (each in id order), the largest group (in bytes) first; ``sizes``, when
    given, receives each sender's bytes."""
    sizes = {} if sizes is None else sizes
    members: dict[str | None, list[int]] = {}
    try:
        with Session(runtime.engine) as session:
            for part in inbox.chunks(list(ids)):
                for row_id, sender, size in session.execute(
                    select(InboxEntry.id, InboxEntry.sender_id, InboxEntry.size).where(InboxEntry.id.in_(part))
                ):
                    members.setdefault(sender, []).append(row_id)
                    sizes[sender] = sizes.get(sender, 0) + size
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    order = sorted(members, key=lambda sender: (-sizes[sender], sender or ""))
    return [sorted(members[sender]) for sender in order]


def process_in_worker(settings: Settings, ids: list[int], moment: datetime) -> IntakeSummary:
    """One sender's files, in a worker process with a runtime of its own."""
    runtime = worker_runtime(settings)
    summary = IntakeSummary()
    for part in inbox.chunks(ids, BATCH_FILES):
        summary = summary.merge(process_batch(runtime, part, as_of=moment))
    return summary


@functools.cache
def worker_runtime(settings: Settings) -> Runtime:
    """The worker process's runtime (engine, buckets, reference data), opened for its first sender and kept for
    the others it is given; it goes with the process (workers die with the run, ``worker_pool``)."""
    from pipeline.runtime import open_runtime

    return open_runtime(settings, upgrade_schema=False)


def record_run(runtime: Runtime, kind: str, moment: datetime, started: datetime, summary: IntakeSummary) -> None:
    """One row of the run log, with the summary's counts (for operations)."""
    failures = "; ".join(f"inbox {f.inbox_id} {f.key}: {f.error}" for f in summary.failures[:20])
    try:
        with Session(runtime.engine) as session, session.begin():
            session.add(Run(kind=kind, business_date=moment.date(), started_at=started,
                            finished_at=clock.real_now(), counts=summary.counts(), error=failures or None))
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
