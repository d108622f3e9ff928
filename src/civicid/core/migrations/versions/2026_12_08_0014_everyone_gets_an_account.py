"""everyone gets an account: level-1 attempts, children's accounts under a parent, assisted activations

New tables only: nothing existing is copied or altered (both databases, no batch mode).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "level1_attempt",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("id_number_digest", sa.String(length=64), nullable=False),
        sa.Column("phone_digest", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_level1_attempt_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level1_attempt")),
    )
    op.create_index(op.f("ix_level1_attempt_id_number_digest"), "level1_attempt", ["id_number_digest"])
    op.create_index(op.f("ix_level1_attempt_phone_digest"), "level1_attempt", ["phone_digest"])
    op.create_index(op.f("ix_level1_attempt_attempted_at"), "level1_attempt", ["attempted_at"])
    op.create_table(
        "guarded_account",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("guardian_account_id", sa.String(length=36), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_guarded_account_account_id_eid_account")
        ),
        sa.ForeignKeyConstraint(
            ["guardian_account_id"], ["eid_account.id"], name=op.f("fk_guarded_account_guardian_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_guarded_account")),
    )
    op.create_index(op.f("ix_guarded_account_guardian_account_id"), "guarded_account", ["guardian_account_id"])
    op.create_table(
        "assisted_activation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("contact_relation", sa.String(length=40), nullable=False),
        sa.Column(
            "delivery",
            sa.Enum("sms", "screen", name="assisteddelivery", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_assisted_activation_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assisted_activation")),
    )
    op.create_index(op.f("ix_assisted_activation_account_id"), "assisted_activation", ["account_id"])
    op.create_index(op.f("ix_assisted_activation_commune_code"), "assisted_activation", ["commune_code"])
    op.create_index(op.f("ix_assisted_activation_contact_phone"), "assisted_activation", ["contact_phone"])


def downgrade() -> None:
    op.drop_table("assisted_activation")
    op.drop_table("guarded_account")
    op.drop_table("level1_attempt")
