"""accounts: single-use device challenges, passcode attempt limits, locks with their grounds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PURPOSES = ("activation", "new_device")
NEW_PURPOSES = ("activation", "new_device", "lost_phone", "unlock")
GROUNDS = ("holder", "tk03", "breach", "authority", "death", "card_invalid")


def _purpose(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="codepurpose", native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "account_challenge",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_account_challenge")),
    )
    op.create_index(op.f("ix_account_challenge_expires_at"), "account_challenge", ["expires_at"], unique=False)
    op.create_table(
        "account_lock",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column(
            "ground", sa.Enum(*GROUNDS, name="lockground", native_enum=False, create_constraint=True), nullable=False
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("placed_by", sa.String(length=100), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_account_lock_account_id_eid_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_lock")),
    )
    op.create_index(op.f("ix_account_lock_account_id"), "account_lock", ["account_id"], unique=False)
    with op.batch_alter_table("account_credential") as batch:
        batch.add_column(sa.Column("failed_passcodes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("passcode_locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("account_credential") as batch:
        batch.alter_column("failed_passcodes", server_default=None)
    with op.batch_alter_table("account_code") as batch:
        batch.alter_column("purpose", type_=_purpose(NEW_PURPOSES), existing_type=_purpose(OLD_PURPOSES))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM account_code WHERE purpose IN ('lost_phone', 'unlock')"))
    with op.batch_alter_table("account_code") as batch:
        batch.alter_column("purpose", type_=_purpose(OLD_PURPOSES), existing_type=_purpose(NEW_PURPOSES))
    with op.batch_alter_table("account_credential") as batch:
        batch.drop_column("passcode_locked_until")
        batch.drop_column("failed_passcodes")
    op.drop_index(op.f("ix_account_lock_account_id"), table_name="account_lock")
    op.drop_table("account_lock")
    op.drop_index(op.f("ix_account_challenge_expires_at"), table_name="account_challenge")
    op.drop_table("account_challenge")
