"""applications: the receipt's code, to follow an application without an account

Existing applications get the code their kit printed (it derives from the application id).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _receipt_code(application_id: str) -> str:
    """protocol.packet.receipt_code as it stands at this revision (a migration never imports live code)."""
    digest = hashlib.sha256(application_id.encode()).digest()
    text = base64.b32encode(digest).decode().translate(str.maketrans("01OI", "89XY"))[:8]
    return f"{text[:4]}-{text[4:]}"


def upgrade() -> None:
    # No batch mode: on SQLite it would copy ``application`` under the foreign keys of its parts and
    # events. A NOT NULL column with a default is added in place on both databases, then filled.
    op.add_column("application", sa.Column("receipt_code", sa.String(length=9), nullable=False, server_default=""))
    application = sa.table("application", sa.column("id", sa.String), sa.column("receipt_code", sa.String))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.select(application.c.id))]
    update = application.update().where(application.c.id == sa.bindparam("b_id"))
    for start in range(0, len(ids), 1000):
        rows = [{"b_id": i, "receipt_code": _receipt_code(i)} for i in ids[start : start + 1000]]
        connection.execute(update.values(receipt_code=sa.bindparam("receipt_code")), rows)
    if connection.dialect.name == "postgresql":  # SQLite cannot drop a default in place; nothing reads it
        op.alter_column("application", "receipt_code", server_default=None)
    op.create_index(op.f("ix_application_receipt_code"), "application", ["receipt_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_application_receipt_code"), table_name="application")
    op.drop_column("application", "receipt_code")
