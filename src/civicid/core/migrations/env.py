"""Alembic environment: CivicID passes its own connection in ``config.attributes``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from civicid.core.types import UTCDateTime
from civicid.schema import metadata


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write CivicID's column types as the plain SQL types they store, so migrations stand alone."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that for us.
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
