"""Staff accounts through their service functions: the rules that hold whatever the transport."""

from __future__ import annotations

import pytest
from tests.factories import STAFF_PASSWORD, staff_member

from civicid.core.database import unit_of_work
from civicid.core.errors import Conflict, InvalidInput
from civicid.core.runtime import Context
from civicid.web import staff_service
from civicid.web.errors import SessionExpired
from civicid.web.staff import StaffRole


class TestCreateStaff:
    @pytest.mark.parametrize(
        ("username", "password", "role", "commune"),
        [
            ("an.nguyen", "short", "operator", None),
            ("a", STAFF_PASSWORD, "operator", None),
            ("an nguyen", STAFF_PASSWORD, "operator", None),
            ("an.nguyen", STAFF_PASSWORD, "chief", None),
            ("an.nguyen", STAFF_PASSWORD, "operator", "1879"),
        ],
    )
    def test_bad_input_is_refused(
        self, context: Context, username: str, password: str, role: str, commune: str | None
    ) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidInput):
            staff_service.create_staff(
                session=session,
                clock=context.clock,
                username=username,
                password=password,
                role=role,
                commune_code=commune,
            )

    def test_username_is_unique_whatever_the_case(self, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            with pytest.raises(Conflict):
                staff_service.create_staff(
                    session=session, clock=context.clock, username="AN.NGUYEN", password=STAFF_PASSWORD, role="admin"
                )
            # The savepoint leaves the transaction usable.
            assert [a.username for a in staff_service.list_staff(session=session)] == ["an.nguyen"]


class TestResolveSession:
    def test_unknown_token(self, context: Context) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(SessionExpired):
            staff_service.resolve_session(session=session, clock=context.clock, token="no-such-token")

    def test_token_resolves_to_its_account(self, context: Context) -> None:
        staff_member(context, StaffRole.SUPERVISOR, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            token = staff_service.authenticate(
                session=session, clock=context.clock, username="an.nguyen", password=STAFF_PASSWORD
            )
            account = staff_service.resolve_session(session=session, clock=context.clock, token=token)
        assert (account.username, account.role, account.commune_code) == ("an.nguyen", StaffRole.SUPERVISOR, "01879")
