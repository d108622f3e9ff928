"""The OpenAPI document describes every answer the API gives (issue 18, item 9), on both databases.

Schemathesis reads ``/openapi.json`` and sends, to every operation, requests the document allows
(positive) and requests it forbids (negative), authenticated as nobody and as each staff role; every
answer is checked by all of Schemathesis's response checks (``--checks all``): no 5xx, a status,
media type, headers and body the document declares, data it allows accepted, data it forbids
refused. The number of requests is bounded (:data:`EXAMPLES` per operation and mode, drawn from a
fixed seed), so that the run stays short.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from tests.factories import STAFF_PASSWORD, staff_member

from civicid.app import create_app
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web import staff_service
from civicid.web.staff import StaffRole

#: Requests per operation and generation mode; the run covers every operation, not many shapes of each.
EXAMPLES = 1
#: Answers to a request the document allows that are still not a contradiction: the rules no JSON
#: Schema can say (an ID number's checksum, a code that is wrong, a lock that stands) answer 400,
#: 422 or 423, as the document declares for each operation.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 422, 423, 429]}
        }
    }
)


# Schemathesis calls an ASGI app through Starlette's test client, which warns that it prefers httpx2.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@schemathesis.serializer("application/pdf", "application/octet-stream")
def _raw_bytes(ctx: Any, value: Any) -> bytes:
    """A PDF or a sealed chunk as the bytes drawn for it (binary strings), or text made bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


def bearer(context: Context, role: StaffRole | None) -> dict[str, str]:
    """The headers of a staff session of ``role`` (none for the anonymous caller)."""
    if role is None:
        return {}
    username = staff_member(context, role)
    with unit_of_work(context.database.sessions) as session:
        token = staff_service.authenticate(
            session=session, clock=context.clock, username=username, password=STAFF_PASSWORD
        )
    return {"Authorization": f"Bearer {token}"}


def failures_of(schema: Any, headers: dict[str, str]) -> list[str]:
    """Every contradiction between the answers and the document, described in one line each."""
    checks = CHECKS.get_all()
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(operation, mode, headers, checks, found)
    return found


def _exercise(operation: Any, mode: GenerationMode, headers: dict[str, str], checks: Any, found: list[str]) -> None:
    """:data:`EXAMPLES` requests to one operation in one mode, each answer checked; failures noted, not raised."""

    @seed(20261208)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        call()
    except Unsatisfiable:
        pass  # no request of this mode can be made (a negative for an operation that takes no input)
    except (Exception, FailureGroup) as failure:  # the first failure of each operation and mode is reported
        found.append(f"{operation.label} [{mode.value}]: {_first_line(failure)}")


def _first_line(failure: BaseException) -> str:
    """What went wrong, in one line: each failure of a group by its title and status."""
    if isinstance(failure, BaseExceptionGroup):
        return "; ".join(_first_line(inner) for inner in failure.exceptions)
    text = str(failure).strip()
    return text.splitlines()[0] if text else type(failure).__name__


def test_every_answer_is_one_the_document_declares(context: Context) -> None:
    """As nobody, then as each staff role, on one app and one reading of its document."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(context), config=CONFIG)
    failures = [
        f"{role.value if role else 'anonymous'}: {failure}"
        for role in [None, *StaffRole]
        for failure in failures_of(schema, bearer(context, role))
    ]
    assert failures == [], "\n".join(failures)
