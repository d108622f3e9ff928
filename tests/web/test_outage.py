"""A database outage at the edge: 503 ``database_unavailable`` with ``Retry-After``, a readable page, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.exc import IntegrityError
from tests.factories import api_client

from civicid.app import create_app
from civicid.core.clock import FixedClock
from civicid.core.database import make_engine, make_session_factory
from civicid.core.runtime import Context, Database
from civicid.core.settings import Settings
from civicid.web.problems import PROBLEM_MEDIA_TYPE

pytestmark = pytest.mark.anyio

# Nothing listens on port 1 of the loopback; a SQLite file in a folder that does not exist cannot be opened.
UNREACHABLE = {
    "postgresql": lambda _: "postgresql+psycopg://nobody@127.0.0.1:1/civicid",
    "sqlite": lambda data: f"sqlite:///{data}/missing/civicid.sqlite3",
}


@pytest.fixture(params=sorted(UNREACHABLE))
async def client(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> AsyncIterator[AsyncClient]:
    """A client of a server whose database does not answer."""
    url = UNREACHABLE[request.param](tmp_path)
    engine = make_engine(url)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    context = Context(settings=Settings(data_dir=tmp_path, database_url=url), database=database, clock=clock)
    async with api_client(context) as client:
        yield client
    engine.dispose()


async def test_the_api_answers_503_database_unavailable_with_retry_after(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "an.officer", "password": "secret"})

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"] == "/problems/database_unavailable"
    assert (problem["code"], problem["status"], problem["instance"]) == (
        "database_unavailable",
        503,
        "/api/v1/auth/login",
    )
    assert "an.officer" not in response.text  # nothing of the statement or its parameters
    assert "127.0.0.1" not in response.text


async def test_a_page_gets_a_readable_503_page(client: AsyncClient) -> None:
    response = await client.post("/login?lang=en", data={"username": "an.officer", "password": "secret"})

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert int(response.headers["retry-after"]) > 0
    assert "Service unavailable" in response.text
    assert "may not have been saved" in response.text


async def test_health_reports_the_database_unavailable(client: AsyncClient) -> None:
    response = await client.get("/api/v1/health")

    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert (problem["code"], problem["database"]) == ("database_unavailable", "unavailable")
    assert problem["version"]


async def test_health_reports_a_database_that_answers(context: Context) -> None:
    async with AsyncClient(transport=ASGITransport(create_app(context)), base_url="http://testserver") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_any_other_database_error_stays_a_generic_500(context: Context) -> None:
    app = create_app(context)

    def broken_constraint() -> None:
        raise IntegrityError("INSERT …", {"id_number": "001090000001"}, Exception("duplicate key"))

    app.add_api_route("/api/v1/broken", broken_constraint)
    async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client:
        response = await client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "retry-after" not in response.headers
