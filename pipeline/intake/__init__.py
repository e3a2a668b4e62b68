"""Intake: from a file dropped in the inbound bucket to its answers and ledger postings, exactly once.

The use cases the CLI (``carm intake``, ``carm replay``, ``carm account``) and the Airflow DAGs call:

- ``discover_pending(runtime, *, as_of=None) -> list[int]`` — list the inbound bucket, enter new object
  versions in the inbox (idempotent), quarantine files outside a registered sender's folder, return the inbox
  ids still to process;
- ``process_batch(runtime, inbox_ids, *, as_of=None) -> IntakeSummary`` — archive, parse, judge, assess in
  bulk, post (one statement per table, else one SAVEPOINT per file), answer, each file handed from stage to
  stage as a frozen record (``stages``); safe on overlapping ids and after a crash;
- ``run_intake(runtime, *, as_of=None) -> IntakeSummary`` — both, over everything pending, in batches;
- ``replay(runtime, *, day=None, sender=None, sha256=None, reanswer=False, as_of=None) -> ReplaySummary``;
- ``account(runtime | session | engine, bn15, *, start=None, end=None) -> dict``.

Order matters within a sender's files only (an original before its change): processes that run batches side
by side should give each one sender's files (``sender_groups``), as ``run_intake`` does with its workers.

How each stage is made exactly-once is told in ``process`` and ``inbox``; what is judged and posted, in
``judging``, ``assessed``, ``booking`` (pure: the rows a file writes) and ``postings``; how answers are rendered
(and rendered again identically), in ``answering``.
"""

from pipeline.intake.account import UnknownImporter, account
from pipeline.intake.discover import Discovery, discover, discover_pending
from pipeline.intake.inbox import MAX_ATTEMPTS
from pipeline.intake.process import BATCH_FILES, STAGES, StageHook, process_batch
from pipeline.intake.replay import replay
from pipeline.intake.run import record_run, run_intake, sender_groups
from pipeline.intake.summary import FileFailure, IntakeSummary, ReplaySummary

__all__ = [
    "BATCH_FILES",
    "MAX_ATTEMPTS",
    "STAGES",
    "Discovery",
    "FileFailure",
    "IntakeSummary",
    "ReplaySummary",
    "StageHook",
    "UnknownImporter",
    "account",
    "discover",
    "discover_pending",
    "process_batch",
    "record_run",
    "replay",
    "run_intake",
    "sender_groups",
]
