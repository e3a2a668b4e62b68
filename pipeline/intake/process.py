"""Intake of a batch of inbox entries: archive, parse, judge, assess, post, answer — each file exactly once.

Stages, each finished for the whole batch before the next (so a crash anywhere leaves every file at a stage it
can resume from; see ``inbox``). A file goes from one stage to the next as a frozen record of ``stages``
(``Archived`` → ``Parsed`` → ``Judged`` → ``Posted`` → ``Answered``); a file that fails leaves the flow with its
failure recorded, and the records of the others go on:

1. **archive** — read each file (inbound bucket, or the archive when it is already there), verify it is the
   version that was listed, write it byte for byte to ``archive/<yyyy>/<mm>/<dd>/<sha256>`` (the day it was
   received), then record sha256 and archive key on the inbox rows (state ``archived``). The reads and writes
   run on I/O threads, and each file is parsed (2) as soon as its own is done, while the others are still
   being written.
2. **parse** — ``pipeline.parsers.read_submission``; pure, so nothing is recorded.
3. **judge** — ``judging``, with the ledger loaded once for the batch.
4. **assess** — every accepted declaration of the batch in one ``assess_records`` call, from what the readers
   recorded of its lines (``pipeline.parsers.records``), cut back into each declaration's share (``assessed``).
5. **post** — ``booking.book_file`` decides each file's rows (pure), then one database transaction writes the
   whole batch, one statement per table: the interchanges, every declaration version (accepted, rejected,
   duplicate), the answer control references, the inbox rows' ``outcome`` (compare-and-set: ``outcome IS
   NULL``), the line assessments with their explanation and the postings (COPY on PostgreSQL). Should the
   database refuse anything of it, the batch is posted again file by file, one SAVEPOINT per file: a file is
   posted entirely or not at all; a file that collides with another worker (a unique key of the ledger) is
   rolled back alone and judged again, with the files after it, against the ledger as it now is.
6. **answer** — render the answers from the stored outcome (``answering``), write them to
   ``outbound/<sender>/responses/`` (each file's answers go to the I/O threads as soon as they are rendered,
   while the next file's are), mark the rows ``answered``, and remove the files from the inbound bucket.

Decision (inbound deletion): a file leaves the inbound bucket once it is answered (or quarantined) — the
archive keeps it byte for byte, replays read the archive, and a provider sees that its drop was taken. It is
removed only if the object still has the ETag that was processed (listed again just before), so a file
re-uploaded under the same name in the meantime stays and is processed as a new version. (S3 offers no
conditional delete through this storage contract; the remaining window is the time between that listing and
the delete. A versioned inbound bucket closes it.)

Faults: bad content never raises — it ends answered (or quarantined). A file that fails for a reason of its
own is quarantined with the reason (``quarantine.set_aside``) and never tried again, so it stops neither the
other files nor later runs: our reader, validator, assessor or answer writer raising on it (a defect, whatever
the exception), a per-row database error while posting it (a value a column cannot hold: ``DataError``, or an
``IntegrityError`` that is not a collision with another worker), an answer that cannot be written under its
name. Only what ``orchestration.faults.classify`` calls transient — outages of a store or the database
(connection refused or lost, timeouts, serialization failures) — is retried: a store outage on one file is
recorded on its row (``failed``, ``last_error``; retried by a later run while attempts < ``MAX_ATTEMPTS``), a
database outage raises ``TransientError`` and stops the run. Both are reported in ``IntakeSummary.failures``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.answers import ACCEPTED, DUPLICATE, REJECTED
from pipeline.assess import assess_records
from pipeline.collector import collector_paused
from pipeline.errors import TransientError
from pipeline.intake import inbox, records
from pipeline.intake.answering import StoredOutcome, file_outcome, rejection_codes, render_answers
from pipeline.intake.assessed import assessed_by_declaration
from pipeline.intake.booking import Assessed, Booked, Booking, DeclarationKey, book_file
from pipeline.intake.file_io import each_file, guarded
from pipeline.intake.inbox import InboxRow
from pipeline.intake.judging import FileToJudge, judge_file, transaction_numbers
from pipeline.intake.lease import leased
from pipeline.intake.postings import OriginalTerms
from pipeline.intake.quarantine import quarantine_reason, quarantine_rows, set_aside
from pipeline.intake.stages import Answered, Archived, Judged, Parsed, Posted
from pipeline.intake.summary import FileFailure, IntakeSummary, RejectedFile
from pipeline.ledger import LineAssessment, Posting, load_registry
from pipeline.ledger.database import database_fault, reading
from pipeline.ledger.models import InboxState
from pipeline.model import CANCELLATION, ORIGINAL, Declaration
from pipeline.orchestration.faults import FaultKind, classify
from pipeline.parsers import ParseResult, read_submission
from pipeline.parsers.records import LineRecords, records_of
from pipeline.registry import Registry
from pipeline.storage import ObjectNotFound, layout
from pipeline.storage.errors import InvalidKey, StorageError

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

log = logging.getLogger(__name__)

#: Files per batch: bounds memory (the parsed models of a batch are held until it is answered).
BATCH_FILES = 250
#: Threads writing to and reading from the buckets (the work is waiting on fsync or the network).
IO_THREADS = 16
#: How many times a batch judges again the files that collided with a concurrent worker.
MAX_ROUNDS = 3
STAGES = ("archived", "parsed", "posted", "answered")

#: Called after each stage with its name (``STAGES``) and the inbox ids that went through it. Tests use it to
#: interrupt a run at a chosen point; operations may use it for progress.
StageHook = Callable[[str, Sequence[int]], None]


def process_batch(
    runtime: Runtime, inbox_ids: Sequence[int], *, as_of: str | datetime | None = None,
    after_stage: StageHook | None = None,
) -> IntakeSummary:
    """Process inbox entries (ids from ``discover_pending``): every file ends answered, quarantined, or failed
    with its error recorded. Safe to run concurrently on overlapping ids and to run again after a crash."""
    started = time.perf_counter()
    moment = runtime.business_moment(as_of)
    summary = IntakeSummary()
    ids = sorted(set(inbox_ids))
    try:
        with leased(runtime.engine, ids) as mine:  # files of senders another running intake works on are its own
            for part in inbox.chunks(mine, BATCH_FILES):
                with collector_paused():  # a batch's models and rows hold no cycles; see pipeline.collector
                    summary = summary.merge(_Batch(runtime, moment, after_stage).run(part))
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    return summary.timed(time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class _SetAside:
    """A file that failed for a reason of its own, to quarantine once the batch is done."""

    row: InboxRow
    data: bytes | None
    sha256: str | None
    error: str
    posted: bool


class _Batch:
    """One batch's run through the stages; it collects the failures (``failures``: for the summary) and the
    files to set aside (``faulty``) as the stages meet them."""

    def __init__(self, runtime: Runtime, moment: datetime, after_stage: StageHook | None) -> None:
        self.runtime = runtime
        self.moment = moment
        self.after_stage = after_stage
        self.failures: list[FileFailure] = []
        self.faulty: list[_SetAside] = []

    # -- faults ----------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return clock.real_now()

    def stage_done(self, stage: str, rows: Sequence[InboxRow]) -> None:
        if self.after_stage is not None:
            self.after_stage(stage, [row.id for row in rows])

    def fail(self, row: InboxRow, error: str, *, retryable: bool) -> None:
        # INFO: the run's summary reports every failure (CLI and DAG logs); a warning would say it twice.
        log.info("inbox %s (%s): %s", row.id, row.key, error)
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_failure(session, row.id, error, retryable=retryable, now=self.now())
        self.failures.append(FileFailure(row.id, row.key, error, retryable))

    def own_fault(self, row: InboxRow, stage: str, exc: BaseException, *, archived: Archived | None = None,
                  posted: bool = False) -> None:
        """A fault met on one file: an outage is retried by a later run; anything else is the file's own (a
        defect of ours on its content, a value the database cannot hold) and sets it aside for good."""
        error = f"{stage}: {type(exc).__name__}: {exc}"
        if classify(exc) is FaultKind.TRANSIENT:
            self.fail(row, error, retryable=True)
            return
        # INFO, with the traceback for the defect's report: the run's summary says it to the user once.
        log.info("inbox %s (%s) set aside: %s", row.id, row.key, error, exc_info=exc)
        data, sha256 = (archived.data, archived.sha256) if archived is not None else (None, None)
        self.faulty.append(_SetAside(row, data, sha256, error, posted or row.outcome is not None))

    def set_aside_faulty(self) -> int:
        """Quarantine the files that failed for a reason of their own (``own_fault``), report each in the
        summary's failures, and take them out of the inbound bucket; returns how many were quarantined."""
        faulty, self.faulty = self.faulty, []
        if not faulty:
            return 0
        items = []
        for file in faulty:
            error = file.error
            if file.posted:
                error += (f" — the file is posted (its postings stand); once the defect is fixed, `carm replay "
                          f"--sha256 {file.sha256 or file.row.sha256} --reanswer` writes its answers")
            items.append((file.row, file.data, error, file.posted))
        again = {row.id for row, *_ in items if row.state is InboxState.QUARANTINED}  # replay --reanswer
        moved = again | {row.id for row in set_aside(self.runtime, [i for i in items if i[0].id not in again])}
        for row, _, error, _ in items:
            if row.id in moved:
                self.failures.append(FileFailure(row.id, row.key, error, retryable=False, quarantined=True))
            else:  # the copy to quarantine/ hit an outage (recorded on the row): the next run does it again
                self.failures.append(FileFailure(row.id, row.key, f"{error} (not yet quarantined)", retryable=True))
        self.remove_from_inbound([row for row, *_ in items if row.id in moved])
        return len(moved)

    # -- the stages ------------------------------------------------------------------------------------------

    def run(self, ids: Sequence[int]) -> IntakeSummary:
        with Session(self.runtime.engine) as session, session.begin():
            rows = inbox.claim(session, ids, self.now())
            registry = load_registry(session)
        outside = [row for row in rows if row.outcome is None and quarantine_reason(row, registry)]
        quarantined = len(quarantine_rows(self.runtime, outside, registry)) if outside else 0
        outside_ids = {row.id for row in outside}
        fresh = [row for row in rows if row.id not in outside_ids and row.outcome is None]
        posted_before = [row for row in rows if row.id not in outside_ids and row.outcome is not None]

        parsed = self.archive_and_parse(fresh)
        self.stage_done("archived", fresh)
        self.stage_done("parsed", fresh)
        posted = self.judge_assess_post(parsed, registry)
        self.stage_done("posted", fresh)
        answered = self.answer(self.restore(posted_before) + posted)
        quarantined += self.set_aside_faulty()
        return self.summary(answered, quarantined)

    def archive_and_parse(self, rows: list[InboxRow]) -> list[Parsed]:
        """Archive every file on the I/O threads and parse each as soon as it is archived; record the archive
        keys once all are written."""
        buckets = self.runtime.buckets

        def load(row: InboxRow) -> Archived:
            # The version listed cannot be had (a StorageError: that file's fault, never retried) when the
            # archive holds other bytes, the inbound bucket moved, or the file was replaced since.
            if row.archive_key is not None:
                data = buckets.archive.read(row.archive_key)
                sha256 = hashlib.sha256(data).hexdigest()
                if sha256 != row.sha256:
                    raise StorageError(f"archive {row.archive_key}: content has sha256 {sha256}, not {row.sha256}")
                return Archived(row, data, sha256)
            if row.bucket != buckets.inbound.url:
                raise StorageError(f"{row.bucket} is no longer the inbound bucket and the file was never archived")
            data = buckets.inbound.read(row.key)
            if _plain_md5(row.etag) and hashlib.md5(data, usedforsecurity=False).hexdigest() != row.etag:
                raise StorageError(f"{row.key} changed since it was listed (ETag {row.etag}); the new content is "
                                    "a new inbox entry")
            sha256 = hashlib.sha256(data).hexdigest()
            key = layout.archive_key(row.business_date, sha256)
            if not buckets.archive.exists(key):
                buckets.archive.write(key, data)
            return Archived(row, data, sha256)

        newly_archived: list[tuple[int, str, str]] = []
        parsed: list[Parsed] = []
        unreadable: list[tuple[Archived, Exception]] = []
        with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
            loads = [pool.submit(guarded(load), row) for row in rows]
            for row, loading in zip(rows, loads, strict=True):
                archived, fault = loading.result()
                if fault is not None:
                    self.fail(row, f"archive: {fault}", retryable=classify(fault) is FaultKind.TRANSIENT)
                    continue
                if row.archive_key is None:
                    newly_archived.append((row.id, archived.sha256, layout.archive_key(row.business_date,
                                                                                        archived.sha256)))
                try:
                    parsed.append(Parsed(archived, read_submission(archived.data,
                                                                   max_bytes=self.runtime.settings.max_file_bytes)))
                except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
                    unreadable.append((archived, exc))
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_archived(session, newly_archived, self.now())
        for archived, exc in unreadable:  # after the archive is recorded: the failure is the row's last state
            self.own_fault(archived.row, "parse", exc, archived=archived)
        return parsed

    def judge_assess_post(self, files: list[Parsed], registry: Registry) -> list[Posted]:
        posted: list[Posted] = []
        pending = files
        for _ in range(MAX_ROUNDS):
            if not pending:
                return posted
            done, pending = self.judge_round(pending, registry)
            posted += done
        for file in pending:
            if file.row.attempts >= inbox.MAX_ATTEMPTS:  # no other intake collides run after run: its own fault
                self.own_fault(file.row, "post", RuntimeError(f"collided with the ledger in {file.row.attempts} runs"),
                               archived=file.archived)
            else:
                self.fail(file.row, "kept colliding with a concurrent intake; retried by the next run", retryable=True)
        return posted

    def judge_round(self, files: list[Parsed], registry: Registry) -> tuple[list[Posted], list[Parsed]]:
        """Judge, assess and post ``files``: those posted, and those to judge again (they collided with another
        worker)."""
        runtime = self.runtime
        numbers: set[str] = set()
        references: set[tuple[str, str]] = set()
        readable: list[Parsed] = []
        for file in files:
            try:
                numbers |= transaction_numbers(file.result)
                interchange = file.result.interchange
                if interchange is not None:
                    references.add((interchange.sender, interchange.control_reference))
            except Exception as exc:  # noqa: BLE001 - see judge below
                self.own_fault(file.row, "judge", exc, archived=file.archived)
                continue
            readable.append(file)
        try:
            with Session(reading(runtime.engine)) as session, session.begin():
                view = records.load_view(session, numbers, references,
                                         [(f.row.key, f.archived.sha256) for f in readable])
                posted_elsewhere = inbox.posted_ids(session, [f.row.id for f in readable])
        except Exception as exc:
            if classify(exc) is FaultKind.TRANSIENT:
                raise
            # The database refused a value of some file in the batch's lookup: find it by judging each file in
            # its own round (in order, so each is judged against the ledger with the ones before it posted).
            if len(readable) == 1:
                self.own_fault(readable[0].row, "judge", exc, archived=readable[0].archived)
                return [], []
            posted: list[Posted] = []
            again: list[Parsed] = []
            for file in readable:
                done, retry = self.judge_round([file], registry)
                posted += done
                again += retry
            return posted, again
        judged: list[Judged] = []
        for file in readable:
            if file.row.id in posted_elsewhere:
                continue  # another worker posted it since this one claimed it: the answers are its own
            row, archived = file.row, file.archived
            to_judge = FileToJudge(row.id, row.key, row.sender_id or "", row.file_name, archived.sha256,
                                   row.business_date, archived.data, file.result)
            try:
                verdicts = judge_file(to_judge, view, reference=runtime.reference, registry=registry,
                                      calendar=runtime.calendar)
            except Exception as exc:  # noqa: BLE001 - a validator bug must not stop the other files
                self.own_fault(row, "judge", exc, archived=archived)
                continue
            judged.append(Judged(file, verdicts))
        assessed, judged = self.assess(judged)
        return self.post(judged, assessed)

    def assess(self, files: list[Judged]) -> tuple[dict[DeclarationKey, Assessed], list[Judged]]:
        """(inbox id, position) of each accepted declaration (not a cancellation) → its assessment, in one
        engine call for the batch; and the files that go on to be posted."""
        keys, order, records = _to_assess(files)
        if not order:
            return {}, files
        try:
            reference = self.runtime.reference
            return assessed_by_declaration(assess_records(records, order, reference), keys, reference), files
        except Exception:  # noqa: BLE001 - a line validation let through, or an engine bug: find the file(s)
            log.info("the batch could not be assessed at once; assessing its files one by one", exc_info=True)
            return self.assess_one_by_one(files)

    def assess_one_by_one(self, files: list[Judged]) -> tuple[dict[DeclarationKey, Assessed], list[Judged]]:
        """After the batch failed to assess (a line validation let through, an engine bug), the files that can
        be; the others are set aside."""
        result: dict[DeclarationKey, Assessed] = {}
        kept: list[Judged] = []
        for file in files:
            keys, declarations, records = _to_assess([file])
            if declarations:
                try:
                    reference = self.runtime.reference
                    result.update(assessed_by_declaration(assess_records(records, declarations, reference), keys,
                                                          reference))
                except Exception as exc:  # noqa: BLE001 - that file's own fault
                    self.own_fault(file.row, "assess", exc, archived=file.archived)
                    continue
            kept.append(file)
        return result, kept

    def post(self, files: list[Judged], assessed: dict[DeclarationKey, Assessed]) -> tuple[list[Posted], list[Parsed]]:
        """Post ``files``: those posted, and those to judge again (they collided with another worker).

        First the whole batch at once, one statement per table. Should the database refuse anything of it — a
        unique key taken by another worker, a value a column cannot hold, a file another worker posted
        meanwhile — that transaction is rolled back and the batch is posted again file by file, each file with
        all its rows inside its own SAVEPOINT, so that only the file at fault is set aside and a collision is
        judged again from that file on."""
        if not files:
            return [], []
        try:
            return self.post_at_once(files, assessed), []
        except _RowRefused as refused:
            log.info("the batch could not be posted at once (%s); posting file by file", refused)
            return self.post_one_by_one(files, assessed)

    def post_at_once(self, files: list[Judged], assessed: dict[DeclarationKey, Assessed]) -> list[Posted]:
        now = self.now()
        try:
            with Session(self.runtime.engine) as session, session.begin():
                standing, originals = _terms(session, files)
                bookings = []
                for file in files:
                    bookings.append(self.book(file, assessed, standing, originals, now))
                    standing.update(bookings[-1].standing)
                    originals.update(bookings[-1].originals)
                booked = self.write(session, files, bookings, now)
        except Exception as exc:
            if classify(exc) is FaultKind.TRANSIENT:
                raise
            raise _RowRefused(exc) from exc
        return [_posted(file, done) for file, done in zip(files, booked, strict=True)]  # committed: now they are

    def post_one_by_one(self, files: list[Judged], assessed: dict[DeclarationKey, Assessed]
                        ) -> tuple[list[Posted], list[Parsed]]:
        retry: list[Parsed] = []
        booked_files: list[tuple[Judged, Booked]] = []
        faulty: list[tuple[Judged, BaseException]] = []
        now = self.now()
        with Session(self.runtime.engine) as session, session.begin():
            standing, originals = _terms(session, files)
            for index, file in enumerate(files):
                try:
                    with session.begin_nested():
                        booking = self.book(file, assessed, standing, originals, now)
                        [booked] = self.write(session, [file], [booking], now)
                except IntegrityError as exc:
                    if not _collision(exc):
                        faulty.append((file, exc))
                        continue
                    log.info("inbox %s collided with a concurrent intake (%s); judging it again",
                             file.row.id, exc.orig)
                    retry = [later.parsed for later in files[index:]]
                    break
                except _PostedElsewhere:
                    continue  # another worker posted it first: its answers are that worker's
                except Exception as exc:
                    if classify(exc) is FaultKind.TRANSIENT:
                        raise
                    faulty.append((file, exc))  # a value the database cannot hold, a defect: the file's own
                    continue
                standing.update(booking.standing)
                originals.update(booking.originals)
                booked_files.append((file, booked))
        for file, exc in faulty:
            self.own_fault(file.row, "post", exc, archived=file.archived)
        return [_posted(file, booked) for file, booked in booked_files], retry

    def book(self, file: Judged, assessed: dict[DeclarationKey, Assessed], standing: dict[str, dict[str, int]],
             originals: dict[str, OriginalTerms], now: datetime) -> Booking:
        archived = file.archived
        return book_file(file.verdicts, inbox_id=archived.row.id, data=archived.data, sha256=archived.sha256,
                         business_date=archived.row.business_date, moment=self.moment, now=now, assessed=assessed,
                         standing=standing, originals=originals, calendar=self.runtime.calendar)

    def write(self, session: Session, files: list[Judged], bookings: list[Booking], now: datetime) -> list[Booked]:
        """Write what ``bookings`` book, one statement per table for all of them: interchanges, declarations,
        answer control references, the inbox rows' outcome (compare-and-set; ``_PostedElsewhere`` when another
        worker recorded one first), line assessments, postings."""
        interchange_ids = self.register_interchanges(session, bookings)
        declaration_ids = _split(records.insert_declarations(session, [
            {**row, "interchange_id": interchange_ids.get(booking.inbox_id)}
            for booking in bookings for row in booking.declarations
        ]), [len(booking.declarations) for booking in bookings])
        # Recorded against the provider the answers go to: the sender folder (see envelope.provider_id).
        references = _split(records.issue_references(session, [
            file.row.sender_id or "" for file, booking in zip(files, bookings, strict=True)
            for _ in booking.reference_names
        ], now), [len(booking.reference_names) for booking in bookings])
        booked = [booking.complete(ids, issued)
                  for booking, ids, issued in zip(bookings, declaration_ids, references, strict=True)]
        if not inbox.record_outcomes(session, [(booking.inbox_id, done.stored.as_json())
                                               for booking, done in zip(bookings, booked, strict=True)], now):
            raise _PostedElsewhere([booking.inbox_id for booking in bookings])
        records.insert_rows(session, LineAssessment, [line for done in booked for line in done.lines])
        records.insert_rows(session, Posting, [posting for done in booked for posting in done.postings])
        return booked

    def register_interchanges(self, session: Session, bookings: list[Booking]) -> dict[int, int]:
        """Inbox id → id of the interchange record its declarations hang off: the record of the same interchange
        sent before under another name (``interchange_known``), else a new one."""
        registering = [b for b in bookings if b.registers_interchange and b.interchange is not None]
        known = records.known_interchanges(session, [_interchange_key(b) for b in registering if b.interchange_known])
        new: list[Booking] = []
        registered_here: set[tuple[str, str]] = set()
        for booking in registering:
            here = _interchange_key(booking)
            # The same interchange sent again under another name hangs its declarations off the first record;
            # any other repeat is inserted, for the unique key to refuse it (a collision: judged again).
            if not (booking.interchange_known and (here in known or here in registered_here)):
                new.append(booking)
                registered_here.add(here)
        new_ids = records.insert_interchanges(session, [{
            "sender_id": sender, "control_reference": reference, "sha256": b.sha256, "inbox_id": b.inbox_id,
            "syntax": b.interchange.syntax, "accepted_at": self.moment,  # type: ignore[union-attr]
        } for b in new for sender, reference in [_interchange_key(b)]])
        known.update((_interchange_key(b), interchange_id) for b, interchange_id in zip(new, new_ids, strict=True))
        return {b.inbox_id: known[_interchange_key(b)] for b in registering}

    def restore(self, rows: list[InboxRow]) -> list[Posted]:
        """Files posted by an earlier run whose answers were not written: their stored outcome, the model of
        the archived file and the stored amounts, to render the same answers again."""
        if not rows:
            return []
        buckets = self.runtime.buckets
        restored: list[tuple[Archived, StoredOutcome, Any]] = []
        for row, (data, fault) in zip(rows, self.io(lambda r: buckets.archive.read(r.archive_key), rows),
                                      strict=True):
            if fault is not None:
                self.fail(row, f"read archive: {fault}", retryable=not isinstance(fault, ObjectNotFound))
                continue
            archived = Archived(row, data, row.sha256 or "")
            try:
                stored = StoredOutcome.from_json(row.outcome)  # type: ignore[arg-type]
                interchange = None
                if stored.answered:
                    interchange = read_submission(data, max_bytes=self.runtime.settings.max_file_bytes).interchange
            except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
                self.own_fault(row, "read again to answer", exc, archived=archived)
                continue
            restored.append((archived, stored, interchange))
        ids = [d.declaration_id for _, stored, _ in restored for d in stored.declarations
               if d.status == ACCEPTED and d.declaration_id is not None]
        with Session(self.runtime.engine) as session, session.begin():
            amounts = records.load_amounts(session, ids)
        return [
            Posted(archived, stored, interchange, {i: amounts[i] for i in (d.declaration_id for d in stored.declarations)
                                                   if i is not None and i in amounts})
            for archived, stored, interchange in restored
        ]

    def answer(self, files: list[Posted]) -> list[Answered]:
        """Write the answers of ``files``, mark them answered, take them out of the inbound bucket. Each file's
        answers go to the I/O threads as soon as they are rendered, while the next file's are."""
        outbound = self.runtime.buckets.outbound
        writing: list[tuple[Posted, dict[str, Future]]] = []
        with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
            for file in files:
                if not file.stored.answered:  # an earlier version of the same bytes was answered already
                    writing.append((file, {}))
                    continue
                try:
                    outcome = file_outcome(file.row.file_name, file.row.sender_id or "", file.interchange,
                                           file.stored, file.amounts)
                    answers = render_answers(outcome, file.stored)
                except Exception as exc:  # noqa: BLE001 - an answer-writer bug must not stop the other files
                    self.own_fault(file.row, "answer", exc, archived=file.archived, posted=True)
                    continue
                writing.append((file, {key: pool.submit(guarded(outbound.write), key, data)
                                       for key, data in answers.items()}))
            answered: list[Answered] = []
            for file, writes in writing:
                faults = [fault for _, fault in (write.result() for write in writes.values()) if fault is not None]
                unnameable = [fault for fault in faults if isinstance(fault, InvalidKey)]
                if unnameable:  # no store can hold an answer under this file's name
                    self.own_fault(file.row, "write answer", unnameable[0], archived=file.archived, posted=True)
                elif faults:
                    self.fail(file.row, f"write answer: {faults[0]}", retryable=True)
                else:
                    answered.append(Answered(file, tuple(writes)))
        self.stage_done("answered", [a.row for a in answered])
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_answered(session, [a.row.id for a in answered], self.now())
        self.remove_from_inbound([a.row for a in answered])
        return answered

    def io(self, action: Callable[[Any], Any], items: Sequence[Any]) -> list[tuple[Any, BaseException | None]]:
        """``action`` over ``items`` on the I/O threads: (result, None) or (None, fault) per item, in order."""
        return each_file(action, items, threads=IO_THREADS)

    def remove_from_inbound(self, rows: list[InboxRow]) -> None:
        inbound = self.runtime.buckets.inbound
        mine = [row for row in rows if row.bucket == inbound.url]
        if not mine:
            return
        current: dict[str, str] = {}
        try:
            for folder in sorted({row.key.rpartition("/")[0] for row in mine}):
                current.update((info.key, info.etag) for info in inbound.list(f"{folder}/" if folder else ""))
        except (StorageError, TransientError) as exc:
            log.warning("inbound bucket not listed, answered files left in it: %s", exc)
            return
        doomed = [row.key for row in mine if current.get(row.key) == row.etag]
        for key, (_, fault) in zip(doomed, self.io(inbound.delete, doomed), strict=True):
            if fault is not None:
                log.warning("answered file %s not removed from the inbound bucket: %s", key, fault)

    def summary(self, answered: list[Answered], quarantined: int) -> IntakeSummary:
        counts = {ACCEPTED: 0, REJECTED: 0, DUPLICATE: 0}
        codes: dict[str, int] = {}
        rejected_files: list[RejectedFile] = []
        interchanges = already = posted = 0
        for file in answered:
            stored = file.posted.stored
            if not stored.answered:
                already += 1
                continue
            posted += file.posted.posted_cents
            if file.posted.interchange is not None:
                interchanges += 1
            for declaration in stored.declarations:
                counts[declaration.status] += 1
            file_codes = rejection_codes(stored)
            for code, count in file_codes.items():
                codes[code] = codes.get(code, 0) + count
            if file_codes:
                rejected_files.append(RejectedFile(
                    file.row.key, file_codes, declarations=len(stored.declarations),
                    rejected=sum(d.status == REJECTED for d in stored.declarations)))
        return IntakeSummary(
            files=len(answered) - already, interchanges=interchanges, accepted=counts[ACCEPTED], rejected=counts[REJECTED],
            duplicate=counts[DUPLICATE], quarantined=quarantined, already_processed=already, posted_cents=posted,
            rejected_by_code=codes, failures=tuple(self.failures),
            answers=tuple(key for file in answered for key in file.keys), rejected_files=tuple(rejected_files),
        )


def _posted(file: Judged, booked: Booked) -> Posted:
    """A file's record once its transaction is committed (never before: a rolled-back write leaves nothing)."""
    return Posted(file.archived, booked.stored, booked.interchange, booked.amounts, booked.posted_cents)


def _plain_md5(etag: str) -> bool:
    """An ETag that is the MD5 of the content (local stores, single-part S3 uploads; not multipart uploads)."""
    return len(etag) == 32 and all(c in "0123456789abcdef" for c in etag)


class _RowRefused(Exception):
    """The database refused a row of the batch's bulk inserts for what it holds (not an outage)."""


def _collision(exc: IntegrityError) -> bool:
    """A unique key of the ledger taken by another worker (PostgreSQL 23505, SQLite's UNIQUE constraint), as
    opposed to a row the file itself makes invalid (a NOT NULL, CHECK or foreign key violation)."""
    cause = exc.orig
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(cause)


class _PostedElsewhere(Exception):
    """Another worker recorded this file's outcome first: roll back what this attempt wrote."""


def _to_assess(files: list[Judged]) -> tuple[list[DeclarationKey], list[Declaration], list[LineRecords]]:
    """The accepted declarations of ``files`` that are assessed (cancellations are not), with their keys and
    what the readers recorded of them."""
    keys: list[DeclarationKey] = []
    declarations: list[Declaration] = []
    records: list[LineRecords] = []
    for file in files:
        judged = file.verdicts.declarations
        chosen = [index for index, verdict in enumerate(judged)
                  if verdict.status == ACCEPTED and verdict.declaration.function != CANCELLATION]
        kept = [judged[index].declaration for index in chosen]
        keys += [(file.row.id, index) for index in chosen]
        declarations += kept
        records.append(_recorded(file.parsed.result, chosen, kept))
    return keys, declarations, records


def _recorded(result: ParseResult, indexes: list[int], declarations: list[Declaration]) -> LineRecords:
    """The reader's records of the declarations at ``indexes`` of a file; recorded afresh should the declarations
    judged not be the ones the reader built (a file read another way)."""
    read = result.interchange.declarations if result.interchange is not None else ()
    if result.records is not None and all(
        index < len(read) and read[index] is declaration for index, declaration in zip(indexes, declarations, strict=True)
    ):
        return result.records.selected(indexes)
    return records_of(declarations)


def _terms(session: Session, files: list[Judged]) -> tuple[dict[str, dict[str, int]], dict[str, OriginalTerms]]:
    """What is still posted for, and the original's terms of, each transaction the files change or cancel."""
    changes = {
        j.declaration.transaction_number
        for f in files for j in f.verdicts.accepted
        if j.declaration.function != ORIGINAL
    }
    return records.load_standing(session, changes), records.load_originals(session, changes)


def _split(values: list[Any], sizes: list[int]) -> list[list[Any]]:
    """``values`` cut into consecutive runs of ``sizes``."""
    runs, start = [], 0
    for size in sizes:
        runs.append(values[start:start + size])
        start += size
    return runs


def _interchange_key(booking: Booking) -> tuple[str, str]:
    assert booking.interchange is not None
    return booking.interchange.sender, booking.interchange.control_reference


def answer_again(runtime: Runtime, rows: Sequence[InboxRow]) -> tuple[int, tuple[str, ...], tuple[FileFailure, ...]]:
    """Write the answers of files already posted once more, from their stored outcome (``replay --reanswer``):
    byte for byte what was first written. Returns (files answered, keys written, failures)."""
    batch = _Batch(runtime, runtime.business_moment(None), None)
    try:
        restored = batch.restore([row for row in rows if row.outcome is not None])
        answered = batch.answer([file for file in restored if file.stored.answered])
        batch.set_aside_faulty()
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    return len(answered), tuple(key for file in answered for key in file.keys), tuple(batch.failures)
