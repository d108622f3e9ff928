"""agencies: the simulated agencies' registers; wallet: documents by reference, the agency's last answer,
the pending status, and the e-ID card's portrait

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("driving_licence", "health_insurance", "vehicle_registration", "social_insurance", "tax")
OLD_STATUSES = ("requested", "integrated", "refused")
NEW_STATUSES = ("requested", "pending", "integrated", "refused")


def _status(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="documentstatus", native_enum=False, create_constraint=True)


def _holder_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_holder_id_number"), table, ["holder_id_number"], unique=False)


def upgrade() -> None:
    op.create_table(
        "simulated_agency_outage",
        sa.Column(
            "kind", sa.Enum(*KINDS, name="documentkind", native_enum=False, create_constraint=True), nullable=False
        ),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_simulated_agency_outage")),
    )
    op.create_table(
        "simulated_driving_licence",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("holder_id_number", sa.String(length=12), nullable=False),
        sa.Column("classes", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("issuer", sa.String(length=120), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_simulated_driving_licence")),
    )
    _holder_index("simulated_driving_licence")
    op.create_table(
        "simulated_health_insurance",
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("holder_id_number", sa.String(length=12), nullable=False),
        sa.Column("issuing_unit", sa.String(length=10), nullable=False),
        sa.Column("insurer_unit", sa.String(length=120), nullable=False),
        sa.Column("benefit_level", sa.Integer(), nullable=False),
        sa.Column("primary_care", sa.String(length=120), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_simulated_health_insurance")),
    )
    _holder_index("simulated_health_insurance")
    op.create_table(
        "simulated_vehicle_registration",
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("chassis_number", sa.String(length=17), nullable=False),
        sa.Column("holder_id_number", sa.String(length=12), nullable=False),
        sa.Column("vehicle_type", sa.String(length=20), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("plate", name=op.f("pk_simulated_vehicle_registration")),
    )
    _holder_index("simulated_vehicle_registration")
    op.create_table(
        "wallet_portrait",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_wallet_portrait_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_wallet_portrait")),
    )
    with op.batch_alter_table("wallet_document") as batch:
        batch.add_column(sa.Column("agency", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column(
                "record_status",
                sa.Enum("valid", "revoked", "expired", name="recordstatus", native_enum=False, create_constraint=True),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("wallet_document") as batch:
        batch.alter_column("status", type_=_status(NEW_STATUSES), existing_type=_status(OLD_STATUSES))


def downgrade() -> None:
    # A pending document goes back to requested: it is asked about at the holder's next login.
    op.execute(sa.text("UPDATE wallet_document SET status = 'requested' WHERE status = 'pending'"))
    with op.batch_alter_table("wallet_document") as batch:
        batch.alter_column("status", type_=_status(OLD_STATUSES), existing_type=_status(NEW_STATUSES))
    with op.batch_alter_table("wallet_document") as batch:
        batch.drop_constraint(op.f("ck_wallet_document_recordstatus"), type_="check")
        batch.drop_column("checked_at")
        batch.drop_column("valid_until")
        batch.drop_column("record_status")
        batch.drop_column("facts")
        batch.drop_column("agency")
    op.drop_table("wallet_portrait")
    for table in ("simulated_vehicle_registration", "simulated_health_insurance", "simulated_driving_licence"):
        op.drop_index(op.f(f"ix_{table}_holder_id_number"), table_name=table)
        op.drop_table(table)
    op.drop_table("simulated_agency_outage")
