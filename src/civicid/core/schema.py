"""The whole schema: importing every capability's models registers its tables on one metadata.

Only Alembic and the schema-drift test need this; capabilities import their own models.
"""

from __future__ import annotations

from civicid.core import audit  # noqa: F401 - registers the audit table
from civicid.core.database import Base
from civicid.registry import models as registry_models  # noqa: F401
from civicid.web import staff  # noqa: F401 - staff accounts and sessions

metadata = Base.metadata
