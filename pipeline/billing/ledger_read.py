"""Reading the ledger for billing, in bulk: postings, payments and applications as DataFrames of integer cents.

A period close reads up to millions of postings, so these queries are plain SQL read straight into columns
(no ORM objects, no ``Decimal`` per row). Money comes out as integer cents on both dialects: SQLite already
stores cents (``pipeline.ledger.types.Money``); PostgreSQL's ``NUMERIC(18, 2)`` is scaled exactly in SQL. Dates
come out as ISO text, which sorts and compares like the dates themselves.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

__all__ = [
    "POSTING_COLUMNS",
    "append_postings",
    "importer_runs",
    "applications_frame",
    "cents_sql",
    "date_sql",
    "declarations_frame",
    "line_totals_frame",
    "max_posting_id",
    "payments_frame",
    "posting_frame",
]

#: The columns of :func:`posting_frame`, in order.
POSTING_COLUMNS = (
    "id", "importer", "posting_date", "kind", "charge_type", "cents", "transaction_number", "version",
    "declaration_id", "period", "due_date", "source", "interest_from",
)
CHARGE_COLUMNS = ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst")


def cents_sql(column: str, connection: Connection) -> str:
    """SQL for a money column as integer cents."""
    if connection.dialect.name == "sqlite":
        return column
    return f"CAST({column} * 100 AS BIGINT)"


def date_sql(column: str, connection: Connection) -> str:
    """SQL for a date column as ISO text (``YYYY-MM-DD``)."""
    if connection.dialect.name == "sqlite":
        return column
    return f"CAST({column} AS TEXT)"


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """Columns of Python objects, as read: no string-dtype inference (slow on millions of rows, and text
    columns are compared and grouped as plain ``str`` here)."""
    if not rows:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def fetch(connection: Connection, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """Rows as plain tuples straight from the driver's cursor (several times cheaper than SQLAlchemy rows on a
    million of them). ``sql`` uses ``:name`` parameters on both dialects."""
    if connection.dialect.name != "sqlite":
        sql = _NAMED.sub(r"%(\1)s", sql)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, dict(params or {}))
        return cursor.fetchall()
    finally:
        cursor.close()


def max_posting_id(connection: Connection) -> int:
    """The highest posting id (0 for an empty ledger)."""
    return int(connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM postings")).scalar_one())


def posting_frame(
    connection: Connection,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    importers: Iterable[str] | None = None,
    posting_date: str | None = None,
) -> pd.DataFrame:
    """Postings (``POSTING_COLUMNS``), optionally in a range of posting ids, of some importers, or of one posting
    date; ordered by importer, posting date and id. ``id`` and ``cents`` are int64; every other column holds
    Python objects (``version`` and ``declaration_id``: int or None)."""
    where, params = ["1 = 1"], {}
    if min_id is not None:
        where.append("id >= :min_id")
        params["min_id"] = min_id
    if max_id is not None:
        where.append("id <= :max_id")
        params["max_id"] = max_id
    if posting_date is not None:
        where.append("posting_date = :posting_date")
        params["posting_date"] = posting_date
    chosen = None if importers is None else sorted(set(importers))
    if chosen is not None:
        if not chosen:
            return _typed(_frame([], POSTING_COLUMNS))
        names = [f":i{n}" for n in range(len(chosen))]
        where.append(f"importer_bn15 IN ({', '.join(names)})")
        params.update({f"i{n}": bn15 for n, bn15 in enumerate(chosen)})
    sql = (
        f"SELECT id, importer_bn15, {date_sql('posting_date', connection)}, kind, charge_type, "
        f"{cents_sql('amount', connection)}, transaction_number, version, declaration_id, period, "
        f"{date_sql('due_date', connection)}, source, {date_sql('interest_from', connection)} FROM postings "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY importer_bn15, posting_date, id"
    )
    return _typed(_frame(fetch(connection, sql, params), POSTING_COLUMNS))


def importer_runs(importers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop of each run of equal importers in a column sorted by importer (one pass, no hashing)."""
    if len(importers) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    changes = np.flatnonzero(importers[1:] != importers[:-1]) + 1
    starts = np.r_[0, changes]
    return starts, np.r_[changes, len(importers)]


def append_postings(frame: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (importer, posting date, id order) with ``added`` — postings with higher ids than all of its
    own, few — merged in at their places, so the result is in the same order without sorting a million rows."""
    if added.empty:
        return frame
    importers = frame["importer"].to_numpy(dtype=object)
    dates = frame["posting_date"].to_numpy(dtype=object)
    starts, stops = importer_runs(importers)
    run_of = {importers[start]: (int(start), int(stop)) for start, stop in zip(starts.tolist(), stops.tolist(), strict=True)}
    first_after: list[int] = []
    ordered_importers = sorted(run_of)
    for importer, day in zip(added["importer"].tolist(), added["posting_date"].tolist(), strict=True):
        run = run_of.get(importer)
        if run is None:  # an importer with no posting yet: after the runs of the importers before it
            before = bisect.bisect_left(ordered_importers, importer)
            first_after.append(run_of[ordered_importers[before]][0] if before < len(ordered_importers) else len(frame))
            continue
        start, stop = run
        first_after.append(start + bisect.bisect_right(dates[start:stop].tolist(), day))
    # Row i of ``frame`` sorts at 2i + 1; an added row just before the row it precedes, at 2p.
    keys = np.r_[2 * np.arange(len(frame), dtype=np.int64) + 1, 2 * np.asarray(first_after, dtype=np.int64)]
    merged = pd.concat([frame, added.astype(object).astype({"id": "int64", "cents": "int64"})], ignore_index=True)
    return merged.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["id"] = frame["id"].astype("int64")
    frame["cents"] = frame["cents"].astype("int64")
    return frame


def payments_frame(
    connection: Connection, *, max_posting_id: int | None = None, importers: Iterable[str] | None = None
) -> pd.DataFrame:
    """Loaded payments with their ledger posting (``posting_id`` null when the posting is missing): payment_id,
    importer, cents, received_at (aware datetime), method, source_file, posting_id, posted_cents,
    posting_importer, posting_date (ISO text). With ``max_posting_id``, only payments whose posting is at or
    below it (or missing). Read through the ORM types: there are few payments next to postings."""
    from sqlalchemy import and_, select

    from pipeline.ledger import Payment, Posting, PostingKind, money_cents

    query = (
        select(
            Payment.payment_id, Payment.importer_bn15, Payment.amount, Payment.received_at, Payment.method,
            Payment.source_file, Posting.id, Posting.amount, Posting.importer_bn15, Posting.posting_date,
        )
        .join(
            Posting,
            and_(Posting.kind == PostingKind.PAYMENT, Posting.source == Payment.payment_id),
            isouter=True,
        )
        .order_by(Payment.payment_id)
    )
    if max_posting_id is not None:
        query = query.where((Posting.id.is_(None)) | (Posting.id <= max_posting_id))
    if importers is not None:
        query = query.where(Payment.importer_bn15.in_(sorted(set(importers))))
    records = [
        (
            pid, importer, money_cents(amount), received_at, method, source_file, posting_id,
            None if posted is None else money_cents(posted), posting_importer,
            None if posting_date is None else posting_date.isoformat(),
        )
        for pid, importer, amount, received_at, method, source_file, posting_id, posted, posting_importer,
        posting_date in connection.execute(query)
    ]
    columns = (
        "payment_id", "importer", "cents", "received_at", "method", "source_file", "posting_id", "posted_cents",
        "posting_importer", "posting_date",
    )
    frame = _frame(records, columns)
    frame["cents"] = frame["cents"].astype("int64")
    frame["posting_id"] = frame["posting_id"].astype("Int64")
    frame["posted_cents"] = frame["posted_cents"].astype("Int64")
    return frame


def applications_frame(connection: Connection, *, importers: Iterable[str] | None = None) -> pd.DataFrame:
    """Recorded payment applications: id, payment_id, importer (of the payment), posting_id, cents, applied_on."""
    where, params = "", {}
    if importers is not None:
        chosen = sorted(set(importers))
        if not chosen:
            return pd.DataFrame(columns=["id", "payment_id", "importer", "posting_id", "cents", "applied_on"])
        names = [f":i{n}" for n in range(len(chosen))]
        where = f" WHERE y.importer_bn15 IN ({', '.join(names)})"
        params = {f"i{n}": bn15 for n, bn15 in enumerate(chosen)}
    sql = (
        f"SELECT a.id, a.payment_id, y.importer_bn15, a.posting_id, {cents_sql('a.amount', connection)}, "
        f"{date_sql('a.applied_on', connection)} FROM payment_applications a "
        f"JOIN payments y ON y.payment_id = a.payment_id{where} ORDER BY a.id"
    )
    frame = _frame(fetch(connection, sql, params), ("id", "payment_id", "importer", "posting_id", "cents", "applied_on"))
    for column in ("id", "posting_id", "cents"):
        frame[column] = frame[column].astype("int64")
    return frame


def declarations_frame(connection: Connection) -> pd.DataFrame:
    """id, transaction_number, version, function, broker_bn9, importer of every accepted declaration."""
    columns = ("id", "transaction_number", "version", "function", "broker_bn9", "importer")
    sql = (
        "SELECT id, transaction_number, version, function, broker_bn9, importer_bn15 FROM declarations "
        "WHERE status = 'accepted'"
    )
    frame = _frame(fetch(connection, sql), columns)
    frame["id"] = frame["id"].astype("int64")
    return frame


def line_totals_frame(connection: Connection) -> pd.DataFrame:
    """Per declaration, the sum of its line assessments of each charge (cents): declaration_id and
    ``CHARGE_COLUMNS``."""
    sums = ", ".join(f"SUM({cents_sql(column, connection)})" for column in CHARGE_COLUMNS)
    sql = f"SELECT declaration_id, {sums} FROM line_assessments GROUP BY declaration_id"
    frame = _frame(fetch(connection, sql), ("declaration_id", *CHARGE_COLUMNS))
    for column in ("declaration_id", *CHARGE_COLUMNS):
        frame[column] = frame[column].astype("int64")
    return frame
