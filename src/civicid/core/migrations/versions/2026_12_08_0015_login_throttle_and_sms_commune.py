"""login throttle and the commune of each SMS (decisions 0064 and 0065)

- ``login_throttle``: wrong passwords counted by the identifier asked for, existing or not.
- ``notification.commune_code``: the commune of the person a message is about, so that staff bound
  to a commune list its messages only. Filled for the messages already queued, from their
  application, account or assisted activation; a message about anything else keeps NULL, which
  only unscoped staff (administrators) see.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The commune of what each message is about: an application, an account (its person's), an assisted activation.
_BACKFILL = (
    "UPDATE notification SET commune_code = (SELECT a.commune_code FROM application a"
    " WHERE a.id = notification.related_id) WHERE related_type = 'application'",
    "UPDATE notification SET commune_code = (SELECT v.commune_code FROM eid_account e"
    " JOIN person p ON p.id = e.person_id JOIN household h ON h.id = p.household_id"
    " JOIN village v ON v.id = h.village_id WHERE e.id = notification.related_id) WHERE related_type = 'account'",
    "UPDATE notification SET commune_code = (SELECT s.commune_code FROM assisted_activation s"
    " WHERE s.id = notification.related_id) WHERE related_type = 'assisted_activation'",
)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("commune_code", sa.String(length=5), nullable=True))
        batch.create_index("ix_notification_commune", ["commune_code", "created_at"])
    for statement in _BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_index("ix_notification_commune")
        batch.drop_column("commune_code")
    op.drop_table("login_throttle")
