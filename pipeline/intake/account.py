"""``carm account``: an importer's postings and balance, the ``carm account --json`` document of interfaces.md.

Postings are listed by posting date (then the order they were made) between ``start`` and ``end`` inclusive;
the balance is the account's balance at the end of ``end`` (every posting up to it, whatever ``start`` is), or
today's balance without ``end``; the opening balance is the one before ``start`` (every posting before it). Debits are positive, credits negative, amounts two-decimal strings.
A number that is not a BN15 import account at all is reported as such (``registry.check_importer``), not as
"not registered", which would send the user looking in the registry instead of at the number they typed; a
valid one that nobody registered is ``UnknownImporter``. Both are bad input (exit code 2).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.errors import TerminalError
from pipeline.identifiers import business_number
from pipeline.intake.registry import check_importer
from pipeline.ledger import Importer, Posting
from pipeline.money import format_amount

if TYPE_CHECKING:
    from pipeline.runtime import Runtime


class UnknownImporter(TerminalError):
    pass


def account(source: Runtime | Session | Engine, bn15: str, *, start: date | None = None,
            end: date | None = None) -> dict[str, Any]:
    """The account document; ``bn15`` may be typed as people write it (``123456782 rm 0001``)."""
    bn15 = check_importer(business_number.compact(bn15).upper())
    if isinstance(source, Session):
        return _account(source, bn15, start, end)
    engine = source if isinstance(source, Engine) else source.engine
    with Session(engine) as session:
        return _account(session, bn15, start, end)


def _account(session: Session, bn15: str, start: date | None, end: date | None) -> dict[str, Any]:
    importer = session.get(Importer, bn15)
    if importer is None:
        raise UnknownImporter(f"importer {bn15} is not registered")
    listed = select(Posting).where(Posting.importer_bn15 == bn15)
    if start is not None:
        listed = listed.where(Posting.posting_date >= start)
    if end is not None:
        listed = listed.where(Posting.posting_date <= end)
    balance_query = select(func.sum(Posting.amount)).where(Posting.importer_bn15 == bn15)
    if end is not None:
        balance_query = balance_query.where(Posting.posting_date <= end)
    balance = session.scalar(balance_query) or Decimal("0.00")
    opening = Decimal("0.00")
    if start is not None:
        before = select(func.sum(Posting.amount)).where(Posting.importer_bn15 == bn15, Posting.posting_date < start)
        opening = session.scalar(before) or opening
    postings = [
        {
            "date": posting.posting_date.isoformat(),
            "transaction_number": posting.transaction_number,
            "version": posting.version,
            "kind": str(posting.kind),
            "charge_type": str(posting.charge_type),
            "amount": format_amount(posting.amount),
            "period": posting.period,
            "due_date": posting.due_date.isoformat() if posting.due_date else None,
        }
        for posting in session.scalars(listed.order_by(Posting.posting_date, Posting.id))
    ]
    return {"importer": bn15, "name": importer.name, "opening_balance": format_amount(opening),
            "balance": format_amount(balance), "postings": postings}
