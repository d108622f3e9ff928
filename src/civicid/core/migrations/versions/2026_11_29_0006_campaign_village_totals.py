"""campaign per-village totals beside the per-day cells

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_application_total",
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("application_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "commune_code",
            "village_id",
            "application_type",
            "status",
            "decided",
            name=op.f("pk_campaign_application_total"),
        ),
    )
    op.create_table(
        "campaign_visit_total",
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", "outcome", name=op.f("pk_campaign_visit_total")),
    )
    with op.batch_alter_table("eid_account", schema=None) as batch_op:
        batch_op.create_index(
            "ix_eid_account_activated_level2",
            ["person_id"],
            unique=False,
            postgresql_where=sa.text("activated_at IS NOT NULL AND level = 2"),
            sqlite_where=sa.text("activated_at IS NOT NULL AND level = 2"),
        )
    with op.batch_alter_table("id_card", schema=None) as batch_op:
        batch_op.create_index(
            "ix_id_card_valid_person",
            ["person_id", "expiry_date"],
            unique=False,
            postgresql_where=sa.text("status = 'valid'"),
            sqlite_where=sa.text("status = 'valid'"),
        )
    # The totals are the cells summed over kits and days: a tally already built (mark >= 0) gets
    # its totals here; one not built yet gets them from its first refresh, with its cells.
    op.execute(
        "INSERT INTO campaign_application_total (commune_code, village_id, application_type, status, decided, n) "
        "SELECT commune_code, village_id, application_type, status, decided, sum(n) "
        "FROM campaign_application_cell GROUP BY commune_code, village_id, application_type, status, decided"
    )
    op.execute(
        "INSERT INTO campaign_visit_total (village_id, outcome, n) "
        "SELECT village_id, measure, sum(n) FROM campaign_visit_cell WHERE measure <> 'households' "
        "GROUP BY village_id, measure"
    )


def downgrade() -> None:
    with op.batch_alter_table("id_card", schema=None) as batch_op:
        batch_op.drop_index("ix_id_card_valid_person")
    with op.batch_alter_table("eid_account", schema=None) as batch_op:
        batch_op.drop_index("ix_eid_account_activated_level2")
    op.drop_table("campaign_visit_total")
    op.drop_table("campaign_application_total")
