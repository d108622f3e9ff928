"""name words: one row per word of a person's folded name, so that search finds any word of a name

A new table, filled from the persons already registered (in batches, both databases, no batch mode).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 20_000


def upgrade() -> None:
    folded = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")
    word = sa.String(length=60).with_variant(sa.String(length=60, collation="C"), "postgresql")
    table = op.create_table(
        "person_name_word",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("word", word, nullable=False),
        sa.Column("name_folded", folded, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_name_word_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", "position", name=op.f("pk_person_name_word")),
    )
    _fill(table)
    op.create_index("ix_person_name_word_word", "person_name_word", ["word", "name_folded", "person_id"])


def _fill(table: sa.Table) -> None:
    """The words of every registered person, read in id order one batch at a time."""
    connection = op.get_bind()
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("name_folded", sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(person.c.id, person.c.name_folded).where(person.c.id > last).order_by(person.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        words = [
            {"person_id": pid, "position": i, "word": w[:60], "name_folded": name}
            for pid, name in rows
            for i, w in enumerate(name.split())
        ]
        if words:
            connection.execute(sa.insert(table), words)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_person_name_word_word", table_name="person_name_word")
    op.drop_table("person_name_word")
