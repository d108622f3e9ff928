"""The whole schema: importing every capability's models registers its tables on one metadata.

Only Alembic and the schema-drift test need this; capabilities import their own models.
"""

from __future__ import annotations

from civicid.accounts import models as accounts_models  # noqa: F401
from civicid.agencies import models as agencies_models  # noqa: F401 - the simulated agencies' registers
from civicid.biometrics import models as biometrics_models  # noqa: F401
from civicid.campaign import models as campaign_models  # noqa: F401
from civicid.core import audit, audit_checkpoint, jobs, throttle  # noqa: F401 - the audit chain, its checkpoints, durable jobs, login throttle
from civicid.core.database import Base
from civicid.credentials import models as credentials_models  # noqa: F401
from civicid.devices import models as enrollment_device_models  # noqa: F401
from civicid.enrollment import models as enrollment_models  # noqa: F401
from civicid.idp import models as idp_models  # noqa: F401 - the OpenID Connect provider
from civicid.notify import models as notify_models  # noqa: F401
from civicid.registry import models as registry_models  # noqa: F401
from civicid.signing import models as signing_models  # noqa: F401
from civicid.wallet import models as wallet_models  # noqa: F401
from civicid.web import staff  # noqa: F401 - staff accounts and sessions

metadata = Base.metadata
