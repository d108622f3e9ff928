"""credentials: issuer keys, status lists and issued credentials

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_issuer_key",
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=60), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signs_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signs_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verify_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_credential_issuer_key")),
    )
    op.create_index(op.f("ix_credential_issuer_key_issuer"), "credential_issuer_key", ["issuer"], unique=False)
    op.create_table(
        "credential_status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=60), nullable=False),
        sa.Column("bits", sa.SmallInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_status_list")),
        sa.UniqueConstraint("issuer", name=op.f("uq_credential_status_list_issuer")),
    )
    op.create_table(
        "issued_credential",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=True),
        sa.Column("status_idx", sa.Integer(), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=60), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_issued_credential_person_id_person")),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["credential_status_list.id"],
            name=op.f("fk_issued_credential_status_list_id_credential_status_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_credential")),
        sa.UniqueConstraint("status_list_id", "status_idx", name="uq_issued_credential_status_slot"),
    )
    op.create_index("ix_issued_credential_person", "issued_credential", ["person_id"], unique=False)
    op.create_index(op.f("ix_issued_credential_document_id"), "issued_credential", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_table("issued_credential")
    op.drop_table("credential_status_list")
    op.drop_index(op.f("ix_credential_issuer_key_issuer"), table_name="credential_issuer_key")
    op.drop_table("credential_issuer_key")
