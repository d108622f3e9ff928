"""Vietnam's time: the zone in which the commune's days begin and end.

Vietnam has kept UTC+7, without daylight saving, since 1975 (Indochina Time). The offset is fixed,
and the databases' day arithmetic relies on it (``core.dialects.local_date``).
"""

from __future__ import annotations

import datetime as dt

UTC_OFFSET = dt.timedelta(hours=7)
TIME_ZONE = dt.timezone(UTC_OFFSET, "ICT")
