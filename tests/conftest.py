"""Fixtures shared by the whole suite.

Database tests run twice: on SQLite, and on PostgreSQL when it answers (``CIVICID_TEST_POSTGRES_URL``,
default ``postgresql://postgres@127.0.0.1:5432/test``). With ``CIVICID_REQUIRE_POSTGRES=1`` (set by
``.ci/run``) a PostgreSQL that does not answer fails the run instead of skipping.

The schema is built by Alembic, never ``create_all``: once per test session (and per xdist worker)
as a template; each test then starts from an empty copy.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.factories import (
    MakePerson,
    PeopleOf,
    api_client,
    demo_commune,
    registered_household,
    registered_kit,
    registered_person,
    registered_village,
    residents,
    run_jobs,
)
from typer.testing import CliRunner, Result

from civicid.accounts.hashing import FAST
from civicid.biometrics.simulated import simulated_extractors
from civicid.cli import app
from civicid.core import migrate
from civicid.core.clock import FixedClock
from civicid.core.console import Invocation
from civicid.core.database import make_engine, make_session_factory
from civicid.core.runtime import Context, Database
from civicid.core.settings import Settings, normalise_database_url
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.tasks import Pipeline
from civicid.schema import metadata
from civicid.sim.captures import SimulatedKit

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
# The reference instant of the suite: a Saturday morning in the commune.
SUITE_NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=TIME_ZONE)


def _postgres_admin_url() -> str:
    return normalise_database_url(os.environ.get("CIVICID_TEST_POSTGRES_URL", DEFAULT_POSTGRES))


def _postgres_answers(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "civicid.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A database of this worker's own on the test server, migrated to head once."""
    admin_url = _postgres_admin_url()
    if not _postgres_answers(admin_url):
        if os.environ.get("CIVICID_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL does not answer at {make_url(admin_url).render_as_string(hide_password=True)}")
        pytest.skip("PostgreSQL does not answer; set CIVICID_TEST_POSTGRES_URL to run the PostgreSQL half")
    # The process id keeps concurrent runs on one server (two developers, two terminals) apart.
    name = f"civicid_test_{worker_id}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SUITE_NOW, zone=TIME_ZONE)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "civicid.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield Database(engine=engine, sessions=make_session_factory(engine))
        engine.dispose()
        return
    engine = make_engine(request.getfixturevalue("postgres_url"))
    yield Database(engine=engine, sessions=make_session_factory(engine))
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def context(database: Database, clock: FixedClock, tmp_path: Path) -> Context:
    url = database.engine.url.render_as_string(hide_password=False)
    # The tests' kits capture simulated biometrics: chosen here, at composition (real-model tests build their own).
    settings = Settings(data_dir=tmp_path / "data", database_url=url, simulated_biometrics=True)
    return Context(settings=settings, database=database, clock=clock)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist's worker name, or "main" without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


@pytest.fixture
def civicid(context: Context) -> Callable[..., Result]:
    """Run ``civicid ARGS`` against the test's database and on its clock, as a person would at a terminal."""
    runner = CliRunner()
    env = {
        "CIVICID_DATABASE_URL": context.settings.database_url or "",
        "CIVICID_DATA_DIR": str(context.settings.data_dir),
    }

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=stdin, env=env, obj=Invocation(clock=context.clock))

    return run


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(context: Context) -> AsyncIterator[AsyncClient]:
    """A client of the server on the test's database and clock; it keeps cookies like a browser."""
    async with api_client(context) as test_client:
        yield test_client


@pytest.fixture
async def holder_client(context: Context) -> AsyncIterator[AsyncClient]:
    """A client of a server that hashes holders' secrets with the fast test parameters (``FAST``)."""
    async with api_client(context, secret_hasher=FAST) as test_client:
        yield test_client


# Data: one village and household for tests that register people one by one ------------------------


@pytest.fixture
def household_id(context: Context) -> int:
    """One commune, one village, one household: somewhere to register people."""
    return registered_household(context, registered_village(context).id).id


@pytest.fixture
def make_person(context: Context, household_id: int) -> MakePerson:
    """``make_person("Lò Thị Mai", born, Sex.FEMALE)``: a resident of that household (``registered_person``)."""
    return partial(registered_person, context, household_id)


# Data: a simulated commune, a kit registered for it, and the enrollment pipeline ---------------------


@pytest.fixture
def commune(context: Context) -> str:
    """The demo commune (600 people) with its staff logins; folders that need another override it."""
    return demo_commune(context)


@pytest.fixture
def pipeline(context: Context, commune: object) -> Pipeline:
    """The enrollment pipeline with the simulated extractors, built once the commune is registered."""
    return build_pipeline(context, simulated_extractors())


@pytest.fixture
def run_pipeline(context: Context, pipeline: Pipeline) -> Callable[[], int]:
    return lambda: run_jobs(context, pipeline)


@pytest.fixture
def kit(context: Context, commune: str) -> SimulatedKit:
    return registered_kit(context, commune)


@pytest.fixture
def people(context: Context, commune: str) -> PeopleOf:
    """``people("14_plus", 3)``: registered residents of an age group, present in the commune."""
    return lambda group, count: residents(context, group, count)
