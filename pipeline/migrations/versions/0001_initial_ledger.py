"""The initial ledger: registry, inbox, interchanges, declarations, line assessments, postings (immutable),
payments, control numbers and the run log.

Revision ID: 0001
Revises:
Create Date: 2025-11-26

Types are spelled out here rather than imported from the models, so that this revision creates the same schema
for ever: money is NUMERIC(18, 2) on PostgreSQL and integer cents on SQLite (pipeline/ledger/types.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(18, 2).with_variant(sa.BigInteger(), "sqlite")
INSTANT = sa.DateTime(timezone=True)

IMMUTABLE_MESSAGE = "postings are immutable: post a correction instead"


def _one_of(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    # --- registry ---
    op.create_table(
        "providers",
        sa.Column("id", sa.String(35), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
    )
    op.create_table(
        "importers",
        sa.Column("bn15", sa.String(15), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("security", MONEY, nullable=False),
        sa.Column("rpp", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bn15", name=op.f("pk_importers")),
    )
    op.create_table(
        "brokers",
        sa.Column("bn9", sa.String(9), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("bn9", name=op.f("pk_brokers")),
    )
    op.create_table(
        "authorizations",
        sa.Column("provider_id", sa.String(35), nullable=False),
        sa.Column("importer_bn15", sa.String(15), nullable=False),
        sa.ForeignKeyConstraint(
            ["importer_bn15"], ["importers.bn15"], name=op.f("fk_authorizations_importer_bn15_importers")
        ),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name=op.f("fk_authorizations_provider_id_providers")),
        sa.PrimaryKeyConstraint("provider_id", "importer_bn15", name=op.f("pk_authorizations")),
    )

    # --- intake ---
    op.create_table(
        "inbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("bucket", sa.String(1024), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("sender_id", sa.String(35), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("archive_key", sa.String(1024), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            _one_of("state", "received", "archived", "parsed", "answered", "quarantined", "failed"),
            name=op.f("ck_inbox_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("bucket", "key", "etag", name=op.f("uq_inbox_bucket_key_etag")),
    )
    op.create_index(op.f("ix_inbox_sha256"), "inbox", ["sha256"])
    op.create_index(op.f("ix_inbox_state"), "inbox", ["state"])

    op.create_table(
        "interchanges",
        sa.Column("id", ID, nullable=False),
        sa.Column("sender_id", sa.String(35), nullable=False),
        sa.Column("control_reference", sa.String(35), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("inbox_id", ID, nullable=True),
        sa.Column("syntax", sa.String(20), nullable=False),
        sa.Column("accepted_at", INSTANT, nullable=False),
        sa.CheckConstraint(_one_of("syntax", "edifact", "xml"), name=op.f("ck_interchanges_syntax")),
        sa.ForeignKeyConstraint(["inbox_id"], ["inbox.id"], name=op.f("fk_interchanges_inbox_id_inbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interchanges")),
        sa.UniqueConstraint(
            "sender_id", "control_reference", name=op.f("uq_interchanges_sender_id_control_reference")
        ),
    )
    op.create_index(op.f("ix_interchanges_sha256"), "interchanges", ["sha256"])

    op.create_table(
        "declarations",
        sa.Column("id", ID, nullable=False),
        sa.Column("interchange_id", ID, nullable=False),
        sa.Column("message_reference", sa.String(), nullable=True),
        sa.Column("transaction_number", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(), nullable=False),
        sa.Column("cad_type", sa.String(), nullable=False),
        sa.Column("importer_bn15", sa.String(), nullable=True),
        sa.Column("broker_bn9", sa.String(), nullable=True),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("posted_at", INSTANT, nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint(_one_of("status", "accepted", "rejected", "duplicate"), name=op.f("ck_declarations_status")),
        sa.ForeignKeyConstraint(
            ["interchange_id"], ["interchanges.id"], name=op.f("fk_declarations_interchange_id_interchanges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
    )
    op.create_index(op.f("ix_declarations_importer_bn15"), "declarations", ["importer_bn15"])
    op.create_index(op.f("ix_declarations_interchange_id"), "declarations", ["interchange_id"])
    accepted = sa.text("status = 'accepted'")
    op.create_index(
        "uq_declarations_accepted_version", "declarations", ["transaction_number", "version"], unique=True,
        sqlite_where=accepted, postgresql_where=accepted,
    )

    op.create_table(
        "line_assessments",
        sa.Column("id", ID, nullable=False),
        sa.Column("declaration_id", ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(10), nullable=False),
        sa.Column("treatment", sa.String(4), nullable=False),
        sa.Column("origin", sa.String(2), nullable=False),
        *(
            sa.Column(name, MONEY, nullable=False)
            for name in (
                "vfd", "customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "vft", "gst", "total",
            )
        ),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declarations.id"], name=op.f("fk_line_assessments_declaration_id_declarations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_assessments")),
        sa.UniqueConstraint("declaration_id", "line", name=op.f("uq_line_assessments_declaration_id_line")),
    )

    # --- ledger ---
    op.create_table(
        "postings",
        sa.Column("id", ID, nullable=False),
        sa.Column("importer_bn15", sa.String(15), nullable=False),
        sa.Column("posting_date", sa.Date(), nullable=False),
        sa.Column("posted_at", INSTANT, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("charge_type", sa.String(20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("transaction_number", sa.String(14), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("declaration_id", ID, nullable=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.CheckConstraint(
            "declaration_id IS NULL OR (transaction_number IS NOT NULL AND version IS NOT NULL)",
            name=op.f("ck_postings_declaration_identified"),
        ),
        sa.CheckConstraint(
            _one_of("kind", "assessment", "correction", "adjustment", "cancellation", "payment", "interest", "penalty"),
            name=op.f("ck_postings_kind"),
        ),
        sa.CheckConstraint(
            _one_of(
                "charge_type", "customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst", "payment",
                "interest", "penalty",
            ),
            name=op.f("ck_postings_charge_type"),
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declarations.id"], name=op.f("fk_postings_declaration_id_declarations")
        ),
        sa.ForeignKeyConstraint(["importer_bn15"], ["importers.bn15"], name=op.f("fk_postings_importer_bn15_importers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_importer_bn15_posting_date"), "postings", ["importer_bn15", "posting_date"])
    op.create_index(op.f("ix_postings_period"), "postings", ["period"])
    op.create_index(op.f("ix_postings_transaction_number"), "postings", ["transaction_number"])
    with_declaration = sa.text("declaration_id IS NOT NULL")
    op.create_index(
        "uq_postings_declaration_charge", "postings", ["declaration_id", "kind", "charge_type"], unique=True,
        sqlite_where=with_declaration, postgresql_where=with_declaration,
    )
    payment = sa.text("kind = 'payment'")
    op.create_index(
        "uq_postings_payment_source", "postings", ["source"], unique=True,
        sqlite_where=payment, postgresql_where=payment,
    )
    per_period = sa.text("declaration_id IS NULL AND kind IN ('interest', 'penalty')")
    op.create_index(
        "uq_postings_period_charge", "postings", ["importer_bn15", "period", "kind", "charge_type"], unique=True,
        sqlite_where=per_period, postgresql_where=per_period,
    )
    _create_immutability_triggers()

    op.create_table(
        "payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("importer_bn15", sa.String(15), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("loaded_at", INSTANT, nullable=False),
        sa.Column("source_file", sa.String(1024), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_positive")),
        sa.ForeignKeyConstraint(["importer_bn15"], ["importers.bn15"], name=op.f("fk_payments_importer_bn15_importers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payments_payment_id")),
    )
    op.create_index(op.f("ix_payments_importer_bn15"), "payments", ["importer_bn15"])
    op.create_table(
        "payment_applications",
        sa.Column("id", ID, nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("posting_id", ID, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_applications_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.payment_id"], name=op.f("fk_payment_applications_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["postings.id"], name=op.f("fk_payment_applications_posting_id_postings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_applications")),
        sa.UniqueConstraint("payment_id", "posting_id", name=op.f("uq_payment_applications_payment_id_posting_id")),
    )
    op.create_index(op.f("ix_payment_applications_posting_id"), "payment_applications", ["posting_id"])

    # --- operations ---
    op.create_table(
        "control_numbers",
        sa.Column("id", ID, nullable=False),
        sa.Column("sender_id", sa.String(35), nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_numbers")),
        sqlite_autoincrement=True,  # PostgreSQL's sequence never goes back; SQLite needs AUTOINCREMENT for that
    )
    op.create_table(
        "runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_kind_started_at"), "runs", ["kind", "started_at"])


def _create_immutability_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION postings_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE_MESSAGE} (' || TG_OP || ' refused)', "
            "ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER postings_no_update_or_delete BEFORE UPDATE OR DELETE ON postings "
            "FOR EACH ROW EXECUTE FUNCTION postings_immutable()"
        )
        op.execute(
            "CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings "
            "FOR EACH STATEMENT EXECUTE FUNCTION postings_immutable()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER postings_no_{event.lower()} BEFORE {event} ON postings "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE} ({event} refused)'); END"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_kind_started_at"), table_name="runs")
    op.drop_table("runs")
    op.drop_table("control_numbers")
    op.drop_index(op.f("ix_payment_applications_posting_id"), table_name="payment_applications")
    op.drop_table("payment_applications")
    op.drop_index(op.f("ix_payments_importer_bn15"), table_name="payments")
    op.drop_table("payments")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER postings_no_truncate ON postings")
        op.execute("DROP TRIGGER postings_no_update_or_delete ON postings")
        op.execute("DROP FUNCTION postings_immutable()")
    else:
        op.execute("DROP TRIGGER postings_no_update")
        op.execute("DROP TRIGGER postings_no_delete")
    for index in (
        "uq_postings_period_charge", "uq_postings_payment_source", "uq_postings_declaration_charge",
        op.f("ix_postings_transaction_number"), op.f("ix_postings_period"),
        op.f("ix_postings_importer_bn15_posting_date"),
    ):
        op.drop_index(index, table_name="postings")
    op.drop_table("postings")
    op.drop_table("line_assessments")
    for index in (
        "uq_declarations_accepted_version", op.f("ix_declarations_interchange_id"),
        op.f("ix_declarations_importer_bn15"),
    ):
        op.drop_index(index, table_name="declarations")
    op.drop_table("declarations")
    op.drop_index(op.f("ix_interchanges_sha256"), table_name="interchanges")
    op.drop_table("interchanges")
    op.drop_index(op.f("ix_inbox_state"), table_name="inbox")
    op.drop_index(op.f("ix_inbox_sha256"), table_name="inbox")
    op.drop_table("inbox")
    op.drop_table("authorizations")
    op.drop_table("brokers")
    op.drop_table("importers")
    op.drop_table("providers")
