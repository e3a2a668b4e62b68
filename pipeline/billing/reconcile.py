"""The finance reconciliation of a period close (billing.md "Reconciliation").

For the period and for each importer, each check compares two figures reached by independent paths, to the cent:

- ``assessed_vs_posted``: the line assessments of the latest version of every transaction on the statement
  (zero for a cancelled one) against the net of that transaction's postings, per charge type;
- ``posted_vs_statement``: the postings on the statement summed by the database against the statement's
  sections summed in the close;
- ``previous_balance``: the previous statement's closing balance as recorded at its close against the same
  postings summed again now;
- ``statement_xml`` / ``statement_csv``: the closing balance of the data against the document as written, read
  back (and the document's opening balance and number of postings against the statement's);
- ``payments_posted``: payments loaded (the payments table) against payment postings on the statement;
- ``payments_applied``: payments loaded = payments applied (``payment_applications`` as recorded) + credits left
  (what the oldest-first rule leaves unapplied).

A difference names the transactions (transaction numbers, payment ids, posting ids) that cause it. An empty
list is the normal result and is stated as such.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.billing.accounts import is_ledger_credit
from pipeline.billing.ledger_read import CHARGE_COLUMNS
from pipeline.billing.payments import Application
from pipeline.billing.statements import CHARGE_TYPES, StatementBook, StatementWindow
from pipeline.model import CANCELLATION
from pipeline.money import format_cents

__all__ = ["CHECKS", "CheckRow", "Difference", "Reconciliation", "reconcile"]

CHECKS = (
    "assessed_vs_posted", "posted_vs_statement", "previous_balance", "statement_xml", "statement_csv",
    "payments_posted", "payments_applied",
)
NO_DIFFERENCES = "No differences: every check agrees to the cent."
_CHARGE_KINDS = ("assessment", "correction", "cancellation", "adjustment")
_MAX_LISTED = 50  # posting ids listed per difference; the count is always given


@dataclass(frozen=True, slots=True)
class CheckRow:
    check: str
    importer: str  # BN15, or "ALL" for the period's total
    expected_cents: int
    actual_cents: int

    @property
    def difference_cents(self) -> int:
        return self.actual_cents - self.expected_cents


@dataclass(frozen=True, slots=True)
class Difference:
    check: str
    importer: str
    expected_cents: int
    actual_cents: int
    message: str
    transactions: tuple[str, ...]  # transaction numbers, payment ids, "posting <id>" or a document key

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "importer": self.importer,
            "expected": format_cents(self.expected_cents),
            "actual": format_cents(self.actual_cents),
            "difference": format_cents(self.actual_cents - self.expected_cents),
            "message": self.message,
            "transactions": list(self.transactions),
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    window: StatementWindow
    rows: tuple[CheckRow, ...]
    differences: tuple[Difference, ...]
    by_charge_type: Mapping[str, int]  # the period's assessed amounts (cents)
    by_day: Mapping[str, int]  # posting date -> assessed cents

    @property
    def status(self) -> str:
        if not self.differences:
            return NO_DIFFERENCES
        return f"{len(self.differences)} difference(s) found: each is listed with the transactions that cause it."

    def as_json(self) -> dict[str, Any]:
        return {"differences": [difference.as_json() for difference in self.differences]}


def _cents(text: str) -> int:
    """An amount written by this package (``-12.30``) as cents; exact (always two decimals)."""
    text = text.strip()
    if len(text) < 4 or text[-3] != "." or not text[-2:].isdigit():
        raise ValueError(f"not an amount with two decimals: {text!r}")
    return int(text[:-3] + text[-2:])


_XML_FIELD = {
    name: re.compile(rf"<Summary[^>]*>.*?<{name}>([^<]*)</{name}>".encode(), re.S)
    for name in ("PreviousBalance", "ClosingBalance")
}
_XML_COUNT = re.compile(rb'<Postings count="(\d+)"')


def _xml_figures(document: bytes) -> tuple[int, int, int]:
    """(previous balance, postings listed, closing balance) as the XML document states them (patterns, not a
    parser: thousands of documents are read back at every close; the tests parse them)."""
    figures = []
    for name in ("PreviousBalance", "ClosingBalance"):
        found = _XML_FIELD[name].search(document)
        figures.append(_cents(found.group(1).decode()) if found else 0)
    count = _XML_COUNT.search(document)
    listed = document.count(b"<Posting ")
    return figures[0], listed if count and int(count.group(1)) == listed else -1, figures[1]


def _csv_figures(document: bytes) -> tuple[int, int, int]:
    """(opening balance, posting rows, closing balance) as the CSV document states them. The record type is the
    first column and the amount the last, neither ever quoted."""
    text = document.decode("utf-8")
    lines = text.split("\r\n")
    opening = closing = 0
    for line in (lines[1], lines[-2]) if len(lines) >= 3 else ():
        record, amount = line[: line.find(",")], _cents(line[line.rfind(",") + 1:])
        if record == "opening_balance":
            opening = amount
        elif record == "closing_balance":
            closing = amount
    return opening, text.count("\r\nposting,"), closing


def _assessed_vs_posted(
    rows: pd.DataFrame, postings: pd.DataFrame, declarations: pd.DataFrame, line_totals: pd.DataFrame
) -> tuple[list[tuple[str, int, int]], list[Difference]]:
    """(importer, expected, actual) over the transactions on the statement, and a difference per transaction and
    charge type that disagrees. Integer keys throughout: a close compares a million postings with their line
    assessments."""
    if declarations.empty:
        return [], []
    charge_code = {charge: code for code, charge in enumerate(CHARGE_COLUMNS)}
    width = len(CHARGE_COLUMNS)
    declaration_ids = declarations["id"].to_numpy(dtype=np.int64)
    row_of = np.full(int(declaration_ids.max()) + 1, -1, dtype=np.int64)
    row_of[declaration_ids] = np.arange(len(declaration_ids))
    txn_code, txn_values = pd.factorize(declarations["transaction_number"].to_numpy(dtype=object))

    def linked(frame: pd.DataFrame) -> np.ndarray:
        """Positions of the frame's charge postings that come from a declaration."""
        return np.flatnonzero(
            frame["declaration_id"].notna().to_numpy()
            & frame["kind"].isin(_CHARGE_KINDS).to_numpy()
            & frame["charge_type"].isin(CHARGE_TYPES).to_numpy()
        )

    def declaration_rows(frame: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
        ids = np.asarray(frame["declaration_id"].to_numpy(dtype=object)[positions], dtype=np.int64)
        return np.where(ids < len(row_of), row_of[np.minimum(ids, len(row_of) - 1)], -1)

    on_statement = linked(rows)
    if not len(on_statement):
        return [], []
    touched = np.zeros(len(txn_values), dtype=bool)
    found = declaration_rows(rows, on_statement)
    touched[txn_code[found[found >= 0]]] = True

    positions = linked(postings)
    drow = declaration_rows(postings, positions)
    keep = drow >= 0
    keep[keep] = touched[txn_code[drow[keep]]]
    positions, drow = positions[keep], drow[keep]
    ptxn = txn_code[drow]
    charge_text = postings["charge_type"].to_numpy(dtype=object)[positions]
    charges = np.asarray([charge_code[c] for c in charge_text.tolist()], dtype=np.int64)
    actual = np.zeros(len(txn_values) * width, dtype=np.int64)
    np.add.at(actual, ptxn * width + charges, postings["cents"].to_numpy(dtype=np.int64)[positions])
    posting_numbers = postings["id"].to_numpy(dtype=np.int64)[positions]
    posting_importers = postings["importer"].to_numpy(dtype=object)[positions]

    # The latest version of each transaction among the declarations its postings come from.
    referenced = np.unique(drow)
    versions = declarations["version"].to_numpy()[referenced].astype(np.int64)
    order = np.lexsort((declaration_ids[referenced], versions, txn_code[referenced]))
    ranked = referenced[order]
    last = np.r_[txn_code[ranked][1:] != txn_code[ranked][:-1], True]
    latest = ranked[last]  # declaration rows, one per touched transaction
    cancelled = np.asarray([str(f).strip() == CANCELLATION for f in declarations["function"].to_numpy()[latest]], dtype=bool)
    line_row = np.full(int(declaration_ids.max()) + 1, -1, dtype=np.int64)
    line_ids = line_totals["declaration_id"].to_numpy(dtype=np.int64)
    inside = line_ids < len(line_row)
    line_row[line_ids[inside]] = np.flatnonzero(inside)
    assessed_row = line_row[declaration_ids[latest]]
    expected = np.zeros(len(txn_values) * width, dtype=np.int64)
    for code, charge in enumerate(CHARGE_COLUMNS):
        values = line_totals[charge].to_numpy(dtype=np.int64)
        amounts = np.where((assessed_row >= 0) & ~cancelled, values[np.maximum(assessed_row, 0)] if len(values) else 0, 0)
        expected[txn_code[latest] * width + code] = amounts

    # Per importer totals (the importer of a transaction's postings), then the differing entries.
    owner_codes, owners = pd.factorize(posting_importers)
    owner_of_txn = np.full(len(txn_values), -1, dtype=np.int64)
    owner_of_txn[ptxn] = owner_codes
    slots = np.flatnonzero(np.repeat(touched, width))
    slot_owner = owner_of_txn[slots // width]
    valid = slot_owner >= 0
    want_by = np.zeros(len(owners), dtype=np.int64)
    have_by = np.zeros(len(owners), dtype=np.int64)
    np.add.at(want_by, slot_owner[valid], expected[slots[valid]])
    np.add.at(have_by, slot_owner[valid], actual[slots[valid]])
    totals = [(importer, int(want_by[code]), int(have_by[code])) for code, importer in enumerate(owners.tolist())]
    differences: list[Difference] = []
    wrong = slots[expected[slots] != actual[slots]]
    if len(wrong):
        posting_ids: dict[int, list[int]] = {}
        wrong_txns = set((wrong // width).tolist())
        for txn, posting_id in zip(ptxn.tolist(), posting_numbers.tolist(), strict=True):
            if txn in wrong_txns:
                posting_ids.setdefault(txn, []).append(posting_id)
        for slot in wrong.tolist():
            txn, charge = divmod(slot, width)
            want, have = int(expected[slot]), int(actual[slot])
            importer = owners[owner_of_txn[txn]] if owner_of_txn[txn] >= 0 else ""
            number = txn_values[txn]
            differences.append(Difference(
                "assessed_vs_posted", importer, want, have,
                f"transaction {number}, {CHARGE_COLUMNS[charge]}: line assessments of the latest version total "
                f"{format_cents(want)}, its postings {format_cents(have)}",
                _listed([number, *(f"posting {i}" for i in posting_ids.get(txn, []))]),
            ))
    return totals, differences


def _listed(values: Sequence[str]) -> tuple[str, ...]:
    values = list(dict.fromkeys(values))
    if len(values) <= _MAX_LISTED:
        return tuple(values)
    return (*values[:_MAX_LISTED], f"... and {len(values) - _MAX_LISTED} more")


def reconcile(
    book: StatementBook,
    postings: pd.DataFrame,
    database_totals: Mapping[str, int],
    previous_recorded: Mapping[str, int] | None,
    previous_recomputed: Mapping[str, int],
    declarations: pd.DataFrame,
    line_totals: pd.DataFrame,
    payments: pd.DataFrame,
    recorded_applications: pd.DataFrame,
    applications: Mapping[str, Application],
    documents: Mapping[str, tuple[str, bytes, str, bytes]],
) -> Reconciliation:
    """Run every check (see the module's docstring). ``book`` holds the statements and their postings,
    ``postings`` every posting up to the close's high-water mark, ``database_totals`` the statement postings
    summed in SQL, ``documents`` per importer (xml key, xml bytes, csv key, csv bytes)."""
    window, statements, rows = book.window, book.statements, book.rows
    figures: dict[tuple[str, str], list[int]] = {}
    differences: list[Difference] = []

    def record(check: str, importer: str, expected: int, actual: int) -> None:
        pair = figures.setdefault((check, importer), [0, 0])
        pair[0] += expected
        pair[1] += actual

    by_importer = {statement.importer: statement for statement in statements}

    # --- assessed = posted -------------------------------------------------------------------------------------
    totals, wrong = _assessed_vs_posted(rows, postings, declarations, line_totals)
    for importer, want, have in totals:
        record("assessed_vs_posted", importer, want, have)
    differences.extend(wrong)

    # --- postings = statement; previous balance; documents -----------------------------------------------------
    for statement in statements:
        importer = statement.importer
        posted = int(database_totals.get(importer, 0))
        shown = sum(statement.sections.values())
        record("posted_vs_statement", importer, posted, shown)
        if posted != shown:
            low, high = book.span(importer)
            differences.append(Difference(
                "posted_vs_statement", importer, posted, shown,
                "the statement's sections do not add up to its postings",
                _listed([f"posting {i}" for i in rows["id"].iloc[low:high].tolist()]),
            ))
        if previous_recorded is not None:
            want, have = int(previous_recorded.get(importer, 0)), int(previous_recomputed.get(importer, 0))
            record("previous_balance", importer, want, have)
            if want != have:
                differences.append(Difference(
                    "previous_balance", importer, want, have,
                    "the previous statement's postings no longer add up to its recorded closing balance",
                    (),
                ))
        if importer in documents:
            xml_key, xml, csv_key, csv_document = documents[importer]
            low, high = book.span(importer)
            for check, key, (opening, listed, closing) in (
                ("statement_xml", xml_key, _xml_figures(xml)),
                ("statement_csv", csv_key, _csv_figures(csv_document)),
            ):
                record(check, importer, statement.closing_cents, closing)
                if closing != statement.closing_cents or opening != statement.previous_cents or listed != high - low:
                    differences.append(Difference(
                        check, importer, statement.closing_cents, closing,
                        f"the document states opening {format_cents(opening)}, {listed} posting(s), closing "
                        f"{format_cents(closing)}; the statement has {format_cents(statement.previous_cents)}, "
                        f"{high - low}, {format_cents(statement.closing_cents)}",
                        (key,),
                    ))
    for importer, have in previous_recomputed.items():
        if previous_recorded is not None and importer not in by_importer and have:
            want = int(previous_recorded.get(importer, 0))
            record("previous_balance", importer, want, int(have))
            if want != have:
                differences.append(Difference(
                    "previous_balance", importer, want, int(have),
                    "a balance with no statement this period differs from the recorded closing balance", (),
                ))

    # --- payments loaded = posted ------------------------------------------------------------------------------
    on_statement = rows[rows["kind"] == "payment"]
    statement_payment_ids = set(on_statement["source"])
    loaded = payments[payments["payment_id"].isin(statement_payment_ids) | payments["posting_id"].isna()]
    loaded_by_id = {row.payment_id: row for row in loaded.itertuples(index=False)}
    for row in on_statement.itertuples(index=False):
        payment = loaded_by_id.pop(row.source, None)
        want = 0 if payment is None else int(payment.cents)
        record("payments_posted", row.importer, want, -int(row.cents))
        if payment is None or want != -row.cents or payment.importer != row.importer:
            differences.append(Difference(
                "payments_posted", row.importer, want, -int(row.cents),
                f"payment posting {row.id} has no matching loaded payment {row.source}",
                (row.source, f"posting {row.id}"),
            ))
    for payment_id, payment in loaded_by_id.items():  # loaded, never posted
        record("payments_posted", payment.importer, int(payment.cents), 0)
        differences.append(Difference(
            "payments_posted", payment.importer, int(payment.cents), 0,
            f"payment {payment_id} was loaded but has no posting", (payment_id,),
        ))

    # --- payments loaded = applied + credits left --------------------------------------------------------------
    computed: dict[str, tuple[int, int]] = {}  # payment id -> (applied, credit left) by the rule
    for application in applications.values():
        for allocation in application.allocations:
            if not is_ledger_credit(allocation.payment_id):
                applied, left = computed.get(allocation.payment_id, (0, 0))
                computed[allocation.payment_id] = (applied + allocation.amount_cents, left)
        for source, cents in application.credit_sources:
            if not is_ledger_credit(source):
                applied, left = computed.get(source, (0, 0))
                computed[source] = (applied, left + cents)
    recorded = recorded_applications.groupby("payment_id")["cents"].sum() if not recorded_applications.empty else {}
    posted_payments = payments[payments["posting_id"].notna()]
    for row in posted_payments.itertuples(index=False):
        applied_recorded = int(recorded.get(row.payment_id, 0))
        applied_rule, credit_left = computed.get(row.payment_id, (0, 0))
        record("payments_applied", row.importer, int(row.cents), applied_recorded + credit_left)
        if applied_recorded + credit_left != row.cents or applied_recorded != applied_rule:
            differences.append(Difference(
                "payments_applied", row.importer, int(row.cents), applied_recorded + credit_left,
                f"payment {row.payment_id}: applied {format_cents(applied_recorded)} as recorded "
                f"({format_cents(applied_rule)} by the oldest-first rule) + credit left {format_cents(credit_left)}",
                (row.payment_id,),
            ))

    check_rows = [CheckRow(check, importer, pair[0], pair[1]) for (check, importer), pair in figures.items()]
    totals: dict[str, list[int]] = {}
    for row in check_rows:
        pair = totals.setdefault(row.check, [0, 0])
        pair[0] += row.expected_cents
        pair[1] += row.actual_cents
    order = {check: index for index, check in enumerate(CHECKS)}
    check_rows.sort(key=lambda row: (order[row.check], row.importer))
    all_rows = [CheckRow(check, "ALL", pair[0], pair[1]) for check, pair in sorted(totals.items(), key=lambda i: order[i[0]])]
    differences.sort(key=lambda d: (d.importer, order[d.check], d.transactions))

    # The charts: the period's assessed amounts by charge type and by posting day.
    assessed = (rows["kind"].isin(_CHARGE_KINDS) & rows["charge_type"].isin(CHARGE_TYPES)).to_numpy()
    cents = rows["cents"].to_numpy(dtype=np.int64)[assessed]
    charge_text = rows["charge_type"].to_numpy(dtype=object)[assessed]
    by_charge = {charge: int(cents[charge_text == charge].sum()) for charge in CHARGE_TYPES}
    day_code, days = pd.factorize(rows["posting_date"].to_numpy(dtype=object)[assessed], sort=True)
    by_day = np.zeros(len(days), dtype=np.int64)
    np.add.at(by_day, day_code, cents)
    return Reconciliation(
        window,
        tuple(all_rows + check_rows),
        tuple(differences),
        by_charge,
        {day: int(total) for day, total in zip(days.tolist(), by_day.tolist(), strict=True)},
    )
