"""accounts activation (passwords, passcodes, devices, codes) and the wallet's documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by the work this revision is named after


def downgrade() -> None:
    pass
