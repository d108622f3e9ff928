"""accounts activation (passwords, passcodes, devices, codes) and the wallet's documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_document",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "driving_licence",
                "health_insurance",
                "vehicle_registration",
                "social_insurance",
                "tax",
                name="documentkind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested", "integrated", "refused", name="documentstatus", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_wallet_document_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_document")),
        sa.UniqueConstraint("person_id", "kind", "number", name="uq_wallet_document_holder_kind_number"),
    )
    op.create_index(op.f("ix_wallet_document_person_id"), "wallet_document", ["person_id"], unique=False)
    op.create_index("ix_wallet_document_status", "wallet_document", ["status"], unique=False)
    op.create_table(
        "account_code",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("activation", "new_device", name="codepurpose", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_in_window", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("ticket_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_account_code_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("account_id", "purpose", name=op.f("pk_account_code")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_account_code_ticket_hash")),
    )
    op.create_table(
        "account_credential",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("passcode_hash", sa.String(length=200), nullable=False),
        sa.Column("question_1", sa.String(length=40), nullable=False),
        sa.Column("answer_1_hash", sa.String(length=200), nullable=False),
        sa.Column("question_2", sa.String(length=40), nullable=False),
        sa.Column("answer_2_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("login_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_account_credential_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_credential")),
    )
    op.create_table(
        "account_device",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_account_device_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_device")),
    )
    op.create_table(
        "holder_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_holder_session_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_holder_session")),
    )
    op.create_index(op.f("ix_holder_session_account_id"), "holder_session", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_holder_session_account_id"), table_name="holder_session")
    op.drop_table("holder_session")
    op.drop_table("account_device")
    op.drop_table("account_credential")
    op.drop_table("account_code")
    op.drop_index("ix_wallet_document_status", table_name="wallet_document")
    op.drop_index(op.f("ix_wallet_document_person_id"), table_name="wallet_document")
    op.drop_table("wallet_document")
