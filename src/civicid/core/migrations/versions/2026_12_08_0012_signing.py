"""signing: the CA's certificates, citizens' signing certificates, revocations, signing history;
the SMS code purpose ``signature_activation``

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PURPOSES = ("activation", "new_device", "lost_phone", "unlock")
NEW_PURPOSES = (*OLD_PURPOSES, "signature_activation")
REASONS = ("key_compromise", "cessation_of_operation", "superseded", "certificate_hold")


def _purpose(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="codepurpose", native_enum=False, create_constraint=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "signing_authority",
        sa.Column("role", _enum("carole", "root", "citizen", "tsa"), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_signing_authority")),
        sa.UniqueConstraint("serial", name=op.f("uq_signing_authority_serial")),
    )
    op.create_table(
        "signing_certificate",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("status", _enum("certificatestatus", "active", "suspended", "revoked"), nullable=False),
        sa.Column("vault", sa.String(length=20), nullable=False),
        sa.Column("key_ref", sa.String(length=80), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_signing_certificate_account_id_eid_account")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_signing_certificate_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_certificate")),
        sa.UniqueConstraint("serial", name=op.f("uq_signing_certificate_serial")),
    )
    op.create_index("ix_signing_certificate_account", "signing_certificate", ["account_id", "status"], unique=False)
    op.create_index(op.f("ix_signing_certificate_person_id"), "signing_certificate", ["person_id"], unique=False)
    op.create_table(
        "signing_revocation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certificate_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("reason", _enum("revocationreason", *REASONS), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["signing_certificate.id"],
            name=op.f("fk_signing_revocation_certificate_id_signing_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_revocation")),
    )
    op.create_index(
        op.f("ix_signing_revocation_certificate_id"), "signing_revocation", ["certificate_id"], unique=False
    )
    op.create_index(op.f("ix_signing_revocation_serial"), "signing_revocation", ["serial"], unique=False)
    op.create_table(
        "signing_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("certificate_id", sa.String(length=36), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_sha256", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_signing_event_account_id_eid_account")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["signing_certificate.id"],
            name=op.f("fk_signing_event_certificate_id_signing_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_event")),
    )
    op.create_index("ix_signing_event_account", "signing_event", ["account_id", "signed_at"], unique=False)
    # account_code is referenced by no table: its batch copy on SQLite is safe (0010's concern does not apply).
    with op.batch_alter_table("account_code") as batch:
        batch.alter_column("purpose", type_=_purpose(NEW_PURPOSES), existing_type=_purpose(OLD_PURPOSES))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM account_code WHERE purpose = 'signature_activation'"))
    with op.batch_alter_table("account_code") as batch:
        batch.alter_column("purpose", type_=_purpose(OLD_PURPOSES), existing_type=_purpose(NEW_PURPOSES))
    op.drop_index("ix_signing_event_account", table_name="signing_event")
    op.drop_table("signing_event")
    op.drop_index(op.f("ix_signing_revocation_serial"), table_name="signing_revocation")
    op.drop_index(op.f("ix_signing_revocation_certificate_id"), table_name="signing_revocation")
    op.drop_table("signing_revocation")
    op.drop_index(op.f("ix_signing_certificate_person_id"), table_name="signing_certificate")
    op.drop_index("ix_signing_certificate_account", table_name="signing_certificate")
    op.drop_table("signing_certificate")
    op.drop_table("signing_authority")
