"""Which senders' files this process may work on now, so that two intakes running at once do not both work on
one file (each would answer it, and a summary would claim files another process answered).

On PostgreSQL a process takes a session-level advisory lock per sender folder before it claims that sender's
rows, and holds it until its batch is done. Another process skips the files of a sender it cannot lock: they
are either finished by the holder or, if they were discovered after the holder's listing, left for the next run.
The lock is the sender, not the file, because a sender's files must be judged in order (a change after its
original); it is what ``orchestration.batches.plan_batches`` and the worker pool already never split. A process
that dies loses its connection and with it its locks, so a crash never strands a file: the next run takes it.

Exactly-once posting does not rest on this lease (the conditional UPDATE of ``inbox.record_outcomes`` and the
ledger's unique keys still guarantee it, on both databases); the lease only keeps concurrent runs from doing
the same work twice. SQLite serialises writers itself and is not shared by concurrent intakes in production:
there every row is taken.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, bindparam, select, text

from pipeline.intake import inbox
from pipeline.ledger import InboxEntry

#: First key of the two-key advisory locks intake takes ("CARM" in ASCII); the second is the sender folder's hash.
LOCK_SPACE = 0x4341524D

_TRY_LOCKS = text(
    "SELECT sender FROM unnest(CAST(:senders AS text[])) AS sender "
    "WHERE pg_try_advisory_lock(:space, hashtext(sender))"
).bindparams(bindparam("senders"), bindparam("space"))


@contextmanager
def leased(engine: Engine, ids: Sequence[int]) -> Iterator[list[int]]:
    """The ids of ``ids`` whose sender folder this process holds (all of them outside PostgreSQL), in order; the
    locks are released when the block ends."""
    if engine.dialect.name != "postgresql" or not ids:
        yield list(ids)
        return
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        senders: dict[int, str] = {}
        for part in inbox.chunks(list(ids)):
            senders.update(connection.execute(
                select(InboxEntry.id, InboxEntry.sender_id).where(InboxEntry.id.in_(part))
            ).all())
        folders = sorted({sender or "" for sender in senders.values()})
        held = set(connection.scalars(_TRY_LOCKS, {"senders": folders, "space": LOCK_SPACE}))
        yield [i for i in ids if (senders.get(i) or "") in held]
    finally:
        try:
            connection.execute(text("SELECT pg_advisory_unlock_all()"))
        finally:
            connection.close()
