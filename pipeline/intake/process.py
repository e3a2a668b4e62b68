"""Intake of a batch of inbox entries: archive, parse, judge, assess, post, answer — each file exactly once.

Stages, each finished for the whole batch before the next (so a crash anywhere leaves every file at a stage it
can resume from; see ``inbox``):

1. **archive** — read each file (inbound bucket, or the archive when it is already there), verify it is the
   version that was listed, write it byte for byte to ``archive/<yyyy>/<mm>/<dd>/<sha256>`` (the day it was
   received), then record sha256 and archive key on the inbox rows (state ``archived``).
2. **parse** — ``pipeline.parsers.read_submission``; pure, so nothing is recorded.
3. **judge** — ``judging``, with the ledger loaded once for the batch.
4. **assess** — every accepted declaration of the batch in one ``assess_declarations`` call.
5. **post** — ``booking.book_file`` decides each file's rows (pure), then one database transaction writes the
   whole batch, one statement per table: the interchanges, every declaration version (accepted, rejected,
   duplicate), the answer control references, the inbox rows' ``outcome`` (compare-and-set: ``outcome IS
   NULL``), the line assessments with their explanation and the postings (COPY on PostgreSQL). Should the
   database refuse anything of it, the batch is posted again file by file, one SAVEPOINT per file: a file is
   posted entirely or not at all; a file that collides with another worker (a unique key of the ledger) is
   rolled back alone and judged again, with the files after it, against the ledger as it now is.
6. **answer** — render the answers from the stored outcome (``answering``), write them to
   ``outbound/<sender>/responses/``, mark the rows ``answered``, and remove the files from the inbound bucket.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.answers import ACCEPTED, DUPLICATE, REJECTED
from pipeline.assess import assess_declarations
from pipeline.errors import TerminalError, TransientError
from pipeline.intake import inbox, records
from pipeline.intake.answering import StoredOutcome, file_outcome, rejection_codes, render_answers
from pipeline.intake.assessed import assessed_by_declaration
from pipeline.intake.booking import Assessed, Booked, Booking, DeclarationKey, book_file
from pipeline.intake.file_io import each_file
from pipeline.intake.inbox import InboxRow
from pipeline.intake.judging import (
    FileToJudge,
    JudgedFile,
    judge_file,
    transaction_numbers,
)
from pipeline.intake.lease import leased
from pipeline.intake.postings import OriginalTerms
from pipeline.intake.quarantine import quarantine_reason, quarantine_rows, set_aside
from pipeline.intake.summary import FileFailure, IntakeSummary, RejectedFile
from pipeline.ledger import LineAssessment, Posting, load_registry
from pipeline.ledger.database import database_fault
from pipeline.ledger.models import InboxState
from pipeline.model import CANCELLATION, ORIGINAL, Declaration, Interchange
from pipeline.orchestration.faults import FaultKind, classify
from pipeline.parsers import ParseResult, read_submission
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


@dataclass(slots=True, eq=False)
class _File:
    """One file of the batch as it goes through the stages."""

    row: InboxRow
    data: bytes | None = None
    sha256: str | None = None
    parsed: ParseResult | None = None
    judged: JudgedFile | None = None
    stored: StoredOutcome | None = None
    interchange: Interchange | None = None
    amounts: dict[int, tuple[dict, dict]] = field(default_factory=dict)  # declaration id → answer amounts
    posted_cents: int = 0
    done: bool = False  # failed, set aside, or posted by another worker: nothing more to do here


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
                summary = summary.merge(_Batch(runtime, moment, after_stage).run(part))
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    return summary.timed(time.perf_counter() - started)


class _Batch:
    def __init__(self, runtime: Runtime, moment: datetime, after_stage: StageHook | None) -> None:
        self.runtime = runtime
        self.moment = moment
        self.after_stage = after_stage
        self.failures: list[FileFailure] = []
        self.answer_keys: tuple[str, ...] = ()
        self.faulty: list[tuple[_File, str]] = []  # files that failed for a reason of their own, and why

    # -- helpers ---------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return clock.real_now()

    def stage_done(self, stage: str, files: Sequence[_File]) -> None:
        if self.after_stage is not None:
            self.after_stage(stage, [f.row.id for f in files])

    def fail(self, file: _File, error: str, *, retryable: bool) -> None:
        # INFO: the run's summary reports every failure (CLI and DAG logs); a warning would say it twice.
        log.info("inbox %s (%s): %s", file.row.id, file.row.key, error)
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_failure(session, file.row.id, error, retryable=retryable, now=self.now())
        self.failures.append(FileFailure(file.row.id, file.row.key, error, retryable))
        file.done = True

    def own_fault(self, file: _File, stage: str, exc: BaseException) -> None:
        """A fault met on one file: an outage is retried by a later run; anything else is the file's own (a
        defect of ours on its content, a value the database cannot hold) and sets it aside for good."""
        error = f"{stage}: {type(exc).__name__}: {exc}"
        if classify(exc) is FaultKind.TRANSIENT:
            self.fail(file, error, retryable=True)
            return
        # INFO, with the traceback for the defect's report: the run's summary says it to the user once.
        log.info("inbox %s (%s) set aside: %s", file.row.id, file.row.key, error, exc_info=exc)
        self.faulty.append((file, error))
        file.done = True

    def set_aside_faulty(self) -> int:
        """Quarantine the files that failed for a reason of their own (``own_fault``), report each in the
        summary's failures, and take them out of the inbound bucket; returns how many were quarantined."""
        faulty, self.faulty = self.faulty, []
        if not faulty:
            return 0
        items = []
        for file, error in faulty:
            posted = file.stored is not None or file.row.outcome is not None
            if posted:
                error += (f" — the file is posted (its postings stand); once the defect is fixed, `carm replay "
                          f"--sha256 {file.sha256 or file.row.sha256} --reanswer` writes its answers")
            items.append((file.row, file.data, error, posted))
        again = {row.id for row, *_ in items if row.state is InboxState.QUARANTINED}  # replay --reanswer
        moved = again | {row.id for row in set_aside(self.runtime, [i for i in items if i[0].id not in again])}
        for row, _, error, _ in items:
            if row.id in moved:
                self.failures.append(FileFailure(row.id, row.key, error, retryable=False, quarantined=True))
            else:  # the copy to quarantine/ hit an outage (recorded on the row): the next run does it again
                self.failures.append(FileFailure(row.id, row.key, f"{error} (not yet quarantined)", retryable=True))
        self.remove_from_inbound([row for row, *_ in items if row.id in moved])
        return len(moved)

    def io(self, action: Callable[[Any], Any], items: Sequence[Any]) -> list[tuple[Any, BaseException | None]]:
        """``action`` over ``items`` on the I/O threads: (result, None) or (None, fault) per item, in order."""
        return each_file(action, items, threads=IO_THREADS)

    # -- the stages ------------------------------------------------------------------------------------------

    def run(self, ids: Sequence[int]) -> IntakeSummary:
        with Session(self.runtime.engine) as session, session.begin():
            rows = inbox.claim(session, ids, self.now())
            registry = load_registry(session)
        outside = [row for row in rows if row.outcome is None and quarantine_reason(row, registry)]
        quarantined = len(quarantine_rows(self.runtime, outside, registry)) if outside else 0
        outside_ids = {row.id for row in outside}
        files = [_File(row) for row in rows if row.id not in outside_ids]
        fresh = [f for f in files if f.row.outcome is None]
        posted_before = [f for f in files if f.row.outcome is not None]

        self.archive(fresh)
        self.stage_done("archived", fresh)
        self.parse(fresh)
        self.stage_done("parsed", fresh)
        self.judge_assess_post([f for f in fresh if not f.done], registry)
        self.stage_done("posted", fresh)
        self.restore(posted_before)
        answered = self.answer([f for f in files if not f.done and f.stored is not None])
        quarantined += self.set_aside_faulty()
        return self.summary(answered, quarantined)

    def archive(self, files: list[_File]) -> None:
        buckets = self.runtime.buckets

        def load(file: _File) -> tuple[bytes, str]:
            row = file.row
            if row.archive_key is not None:
                data = buckets.archive.read(row.archive_key)
                sha256 = hashlib.sha256(data).hexdigest()
                if sha256 != row.sha256:
                    raise TerminalError(f"archive {row.archive_key}: content has sha256 {sha256}, not {row.sha256}")
                return data, sha256
            if row.bucket != buckets.inbound.url:
                raise TerminalError(f"{row.bucket} is no longer the inbound bucket and the file was never archived")
            data = buckets.inbound.read(row.key)
            if _plain_md5(row.etag) and hashlib.md5(data, usedforsecurity=False).hexdigest() != row.etag:
                raise TerminalError(f"{row.key} changed since it was listed (ETag {row.etag}); the new content is "
                                    "a new inbox entry")
            sha256 = hashlib.sha256(data).hexdigest()
            key = layout.archive_key(row.business_date, sha256)
            if not buckets.archive.exists(key):
                buckets.archive.write(key, data)
            return data, sha256

        archived: list[tuple[int, str, str]] = []
        for file, (result, fault) in zip(files, self.io(load, files), strict=True):
            if fault is not None:
                self.fail(file, f"archive: {fault}", retryable=isinstance(fault, TransientError | OSError))
                continue
            file.data, file.sha256 = result
            if file.row.archive_key is None:
                archived.append((file.row.id, file.sha256, layout.archive_key(file.row.business_date, file.sha256)))
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_archived(session, archived, self.now())

    def parse(self, files: list[_File]) -> None:
        limit = self.runtime.settings.max_file_bytes
        for file in files:
            if file.done:
                continue
            try:
                file.parsed = read_submission(file.data or b"", max_bytes=limit)
            except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
                self.own_fault(file, "parse", exc)

    def judge_assess_post(self, files: list[_File], registry: Any) -> None:
        pending = files
        for _ in range(MAX_ROUNDS):
            if not pending:
                return
            pending = self.judge_round(pending, registry)
        for file in pending:
            if file.row.attempts >= inbox.MAX_ATTEMPTS:  # no other intake collides run after run: its own fault
                self.own_fault(file, "post", RuntimeError(f"collided with the ledger in {file.row.attempts} runs"))
            else:
                self.fail(file, "kept colliding with a concurrent intake; retried by the next run", retryable=True)

    def judge_round(self, files: list[_File], registry: Any) -> list[_File]:
        """Judge, assess and post ``files``; return those to judge again (they collided with another worker)."""
        runtime = self.runtime
        numbers: set[str] = set()
        references: set[tuple[str, str]] = set()
        for file in files:
            try:
                numbers |= transaction_numbers(file.parsed)  # type: ignore[arg-type]
                interchange = file.parsed.interchange  # type: ignore[union-attr]
                if interchange is not None:
                    references.add((interchange.sender, interchange.control_reference))
            except Exception as exc:  # noqa: BLE001 - see judge below
                self.own_fault(file, "judge", exc)
        files = [file for file in files if not file.done]
        try:
            with Session(runtime.engine) as session, session.begin():
                view = records.load_view(session, numbers, references,
                                         [(f.row.key, f.sha256) for f in files if f.sha256])
                posted_elsewhere = inbox.posted_ids(session, [f.row.id for f in files])
        except Exception as exc:
            if classify(exc) is FaultKind.TRANSIENT:
                raise
            # The database refused a value of some file in the batch's lookup: find it by judging each file in
            # its own round (in order, so each is judged against the ledger with the ones before it posted).
            if len(files) == 1:
                self.own_fault(files[0], "judge", exc)
                return []
            return [again for file in files for again in self.judge_round([file], registry)]
        judged_files: list[_File] = []
        for file in files:
            if file.row.id in posted_elsewhere:
                file.done = True  # another worker posted it since this one claimed it: the answers are its own
                continue
            row = file.row
            to_judge = FileToJudge(row.id, row.key, row.sender_id or "", row.file_name, file.sha256 or "",
                                   row.business_date, file.data or b"", file.parsed)  # type: ignore[arg-type]
            try:
                file.judged = judge_file(to_judge, view, reference=runtime.reference, registry=registry,
                                         calendar=runtime.calendar)
            except Exception as exc:  # noqa: BLE001 - a validator bug must not stop the other files
                self.own_fault(file, "judge", exc)
                continue
            judged_files.append(file)
        assessed = self.assess(judged_files)
        return self.post([f for f in judged_files if not f.done], assessed)

    def assess(self, files: list[_File]) -> dict[DeclarationKey, Assessed]:
        """(inbox id, position) of each accepted declaration (not a cancellation) → its assessment; one engine
        call for the batch."""
        keys, order = _to_assess(files)
        if not order:
            return {}
        try:
            reference = self.runtime.reference
            return assessed_by_declaration(assess_declarations(order, reference), keys, reference)
        except Exception:  # noqa: BLE001 - a line validation let through, or an engine bug: find the file(s)
            log.info("the batch could not be assessed at once; assessing its files one by one", exc_info=True)
            return self.assess_one_by_one(files)

    def assess_one_by_one(self, files: list[_File]) -> dict[DeclarationKey, Assessed]:
        """After the batch failed to assess (a line validation let through, an engine bug), the files that can
        be; the others are set aside."""
        result: dict[DeclarationKey, Assessed] = {}
        for file in files:
            keys, declarations = _to_assess([file])
            if not declarations:
                continue
            try:
                reference = self.runtime.reference
                result.update(assessed_by_declaration(assess_declarations(declarations, reference), keys, reference))
            except Exception as exc:  # noqa: BLE001 - that file's own fault
                self.own_fault(file, "assess", exc)
        return result

    def post(self, files: list[_File], assessed: dict[DeclarationKey, Assessed]) -> list[_File]:
        """Post ``files``; return those to judge again (they collided with another worker).

        First the whole batch at once, one statement per table. Should the database refuse anything of it — a
        unique key taken by another worker, a value a column cannot hold, a file another worker posted
        meanwhile — that transaction is rolled back and the batch is posted again file by file, each file with
        all its rows inside its own SAVEPOINT, so that only the file at fault is set aside and a collision is
        judged again from that file on."""
        pending = [file for file in files if not file.done]
        try:
            return self.post_at_once(pending, assessed)
        except _RowRefused as refused:
            log.info("the batch could not be posted at once (%s); posting file by file", refused)
            return self.post_one_by_one(pending, assessed)

    def post_at_once(self, files: list[_File], assessed: dict[DeclarationKey, Assessed]) -> list[_File]:
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
        _keep(zip(files, booked, strict=True))
        return []

    def post_one_by_one(self, files: list[_File], assessed: dict[DeclarationKey, Assessed]) -> list[_File]:
        retry: list[_File] = []
        booked_files: list[tuple[_File, Booked]] = []
        faulty: list[tuple[_File, BaseException]] = []
        elsewhere: list[_File] = []
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
                    retry = files[index:]
                    break
                except _PostedElsewhere:
                    elsewhere.append(file)  # another worker posted it first: its answers are that worker's
                    continue
                except Exception as exc:
                    if classify(exc) is FaultKind.TRANSIENT:
                        raise
                    faulty.append((file, exc))  # a value the database cannot hold, a defect: the file's own
                    continue
                standing.update(booking.standing)
                originals.update(booking.originals)
                booked_files.append((file, booked))
        _keep(booked_files)
        for file in elsewhere:
            file.done = True
        for file, exc in faulty:
            self.own_fault(file, "post", exc)
        return retry

    def book(self, file: _File, assessed: dict[DeclarationKey, Assessed], standing: dict[str, dict[str, int]],
             originals: dict[str, OriginalTerms], now: datetime) -> Booking:
        assert file.judged is not None and file.sha256 is not None
        return book_file(file.judged, inbox_id=file.row.id, data=file.data or b"", sha256=file.sha256,
                         business_date=file.row.business_date, moment=self.moment, now=now, assessed=assessed,
                         standing=standing, originals=originals, calendar=self.runtime.calendar)

    def write(self, session: Session, files: list[_File], bookings: list[Booking], now: datetime) -> list[Booked]:
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

    def restore(self, files: list[_File]) -> None:
        """Files posted by an earlier run whose answers were not written: their stored outcome, the model of
        the archived file and the stored amounts, to render the same answers again."""
        if not files:
            return
        buckets = self.runtime.buckets
        for file, (data, fault) in zip(files, self.io(lambda f: buckets.archive.read(f.row.archive_key), files),
                                       strict=True):
            if fault is not None:
                self.fail(file, f"read archive: {fault}", retryable=not isinstance(fault, ObjectNotFound))
                continue
            file.data = data
            try:
                stored = StoredOutcome.from_json(file.row.outcome)  # type: ignore[arg-type]
                if stored.answered:
                    file.interchange = read_submission(data, max_bytes=self.runtime.settings.max_file_bytes).interchange
            except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
                self.own_fault(file, "read again to answer", exc)
                continue
            file.stored = stored
        ids = [d.declaration_id for f in files if f.stored for d in f.stored.declarations
               if d.status == ACCEPTED and d.declaration_id is not None]
        with Session(self.runtime.engine) as session, session.begin():
            amounts = records.load_amounts(session, ids)
        for file in files:
            if file.stored is not None:
                file.amounts = {i: amounts[i] for i in (d.declaration_id for d in file.stored.declarations)
                                if i is not None and i in amounts}

    def answer(self, files: list[_File]) -> list[_File]:
        """Write the answers of ``files``, mark them answered, take them out of the inbound bucket."""
        rendered: list[tuple[_File, dict[str, bytes]]] = []
        for file in files:
            stored = file.stored
            assert stored is not None
            if not stored.answered:
                rendered.append((file, {}))
                continue
            try:
                outcome = file_outcome(file.row.file_name, file.row.sender_id or "", file.interchange, stored,
                                       file.amounts)
                rendered.append((file, render_answers(outcome, stored)))
            except Exception as exc:  # noqa: BLE001 - an answer-writer bug must not stop the other files
                self.own_fault(file, "answer", exc)
        outbound = self.runtime.buckets.outbound
        writes = [(file, key, data) for file, answers in rendered for key, data in answers.items()]
        faults = {file.row.id: fault for (file, _, _), (_, fault) in
                  zip(writes, self.io(lambda w: outbound.write(w[1], w[2]), writes), strict=True) if fault}
        answered = []
        for file, _ in rendered:
            if file.done:
                continue
            fault = faults.get(file.row.id)
            if isinstance(fault, InvalidKey):  # no store can hold an answer under this file's name
                self.own_fault(file, "write answer", fault)
            elif fault is not None:
                self.fail(file, f"write answer: {fault}", retryable=True)
            else:
                answered.append(file)
        self.stage_done("answered", answered)
        with Session(self.runtime.engine) as session, session.begin():
            inbox.record_answered(session, [f.row.id for f in answered], self.now())
        self.remove_from_inbound([f.row for f in answered])
        done = {file.row.id for file in answered}
        self.answer_keys = tuple(key for file, answers in rendered if file.row.id in done for key in answers)
        return answered

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

    def summary(self, answered: list[_File], quarantined: int) -> IntakeSummary:
        counts = {ACCEPTED: 0, REJECTED: 0, DUPLICATE: 0}
        codes: dict[str, int] = {}
        rejected_files: list[RejectedFile] = []
        interchanges = already = posted = 0
        for file in answered:
            stored = file.stored
            assert stored is not None
            if not stored.answered:
                already += 1
                continue
            posted += file.posted_cents
            if file.interchange is not None:
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
            answers=getattr(self, "answer_keys", ()), rejected_files=tuple(rejected_files),
        )


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


def _to_assess(files: list[_File]) -> tuple[list[DeclarationKey], list[Declaration]]:
    """The accepted declarations of ``files`` that are assessed (cancellations are not), with their keys."""
    keys: list[DeclarationKey] = []
    declarations: list[Declaration] = []
    for file in files:
        for index, judged in enumerate(file.judged.declarations):  # type: ignore[union-attr]
            if judged.status == ACCEPTED and judged.declaration.function != CANCELLATION:
                keys.append((file.row.id, index))
                declarations.append(judged.declaration)
    return keys, declarations


def _terms(session: Session, files: list[_File]) -> tuple[dict[str, dict[str, int]], dict[str, OriginalTerms]]:
    """What is still posted for, and the original's terms of, each transaction the files change or cancel."""
    changes = {
        j.declaration.transaction_number
        for f in files for j in f.judged.accepted  # type: ignore[union-attr]
        if j.declaration.function != ORIGINAL
    }
    return records.load_standing(session, changes), records.load_originals(session, changes)


def _keep(booked_files: Iterable[tuple[_File, Booked]]) -> None:
    """Once committed, and only then, what the transaction wrote becomes the files' state."""
    for file, booked in booked_files:
        file.stored, file.interchange, file.amounts, file.posted_cents = (
            booked.stored, booked.interchange, booked.amounts, booked.posted_cents)


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
    files = [_File(row) for row in rows if row.outcome is not None]
    try:
        batch.restore(files)
        answered = batch.answer([f for f in files if not f.done and f.stored is not None and f.stored.answered])
        batch.set_aside_faulty()
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    return len(answered), batch.answer_keys, tuple(batch.failures)
