"""A server on the suite's migrated database, and one staff account per role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from tests.web.support import add_staff, client_for

from civicid.core.runtime import Context
from civicid.web.staff import StaffRole


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def staff(context: Context) -> dict[StaffRole, str]:
    """Usernames of an administrator (no commune) and of commune-bound accounts of the other roles."""
    names = {role: f"{role.value}.test" for role in StaffRole}
    for role, name in names.items():
        add_staff(context, name, role, None if role is StaffRole.ADMIN else "01879")
    return names


@pytest.fixture
async def client(context: Context) -> AsyncIterator[AsyncClient]:
    async with client_for(context) as test_client:
        yield test_client
