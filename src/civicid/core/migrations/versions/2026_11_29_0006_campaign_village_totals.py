"""campaign per-village totals beside the per-day cells

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by the work this revision is named after


def downgrade() -> None:
    pass
