"""Intake: what each inbound file was answered, and when an adjustment starts bearing interest.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26

- ``inbox.outcome`` (JSON): the outcome a file was answered with — its file-level findings, each declaration's
  status, findings and ledger id, the answer interchange control references and the issue time. Written in the
  transaction that posts the file, so that answers can be (re)written byte for byte after a crash or on
  ``carm replay --reanswer``, without judging the file again.
- ``postings.interest_from`` (DATE): the first day an amount bears interest when that is not the day after its
  own due date — an adjustment (a change accepted after the original due date) bears interest from the day after
  the *original* due date (billing.md; Customs Act s. 32.2(3)). NULL: the day after ``due_date``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both dialects: no table copy, so the postings triggers stay.
    op.add_column("inbox", sa.Column("outcome", sa.JSON(), nullable=True))
    op.add_column("postings", sa.Column("interest_from", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("postings", "interest_from")
    op.drop_column("inbox", "outcome")
