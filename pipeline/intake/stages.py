"""What a file is after each stage of intake: archived → parsed → judged → posted → answered.

Each stage takes the records of the stage before and returns records of its own; a file that fails at a stage
does not go on (its failure is recorded by the batch, ``process``), so no record carries a "done" flag or is
changed in place. Every record keeps the archived bytes, which a file set aside after it is posted still needs
(``quarantine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.intake.answering import StoredOutcome
from pipeline.intake.inbox import InboxRow
from pipeline.intake.judging import JudgedFile
from pipeline.model import Interchange
from pipeline.parsers import ParseResult

#: Declaration id → (line amounts, totals) of the answers: what ``answering.file_outcome`` reads.
AnswerAmounts = dict[int, Any]


@dataclass(frozen=True, slots=True)
class Archived:
    """The file's bytes, stored byte for byte under ``archive/`` (or read back from there)."""

    row: InboxRow
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """What the readers made of the bytes: the model, or the file-level findings (pure: nothing recorded)."""

    archived: Archived
    result: ParseResult

    @property
    def row(self) -> InboxRow:
        return self.archived.row


@dataclass(frozen=True, slots=True)
class Judged:
    """Each declaration's verdict against the ledger as it stood (or the file recognised as a duplicate)."""

    parsed: Parsed
    verdicts: JudgedFile

    @property
    def row(self) -> InboxRow:
        return self.parsed.archived.row

    @property
    def archived(self) -> Archived:
        return self.parsed.archived


@dataclass(frozen=True, slots=True)
class Posted:
    """The file's outcome as committed to the ledger (by this run, or by an earlier one whose answers were not
    written), with what its answers are rendered from. ``posted_cents``: what this run posted for it."""

    archived: Archived
    stored: StoredOutcome
    interchange: Interchange | None
    amounts: AnswerAmounts
    posted_cents: int = 0

    @property
    def row(self) -> InboxRow:
        return self.archived.row


@dataclass(frozen=True, slots=True)
class Answered:
    """The file's answers written to ``outbound/<sender>/responses/`` under ``keys``."""

    posted: Posted
    keys: tuple[str, ...]

    @property
    def row(self) -> InboxRow:
        return self.posted.archived.row
