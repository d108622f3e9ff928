"""One staff account per role, for the web capability's tests."""

from __future__ import annotations

import pytest
from tests.factories import staff_member

from civicid.core.runtime import Context
from civicid.web.staff import StaffRole


@pytest.fixture
def staff(context: Context) -> dict[StaffRole, str]:
    """Usernames of an administrator (no commune) and of commune-bound accounts of the other roles."""
    return {role: staff_member(context, role) for role in StaffRole}
