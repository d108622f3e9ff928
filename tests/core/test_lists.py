"""A list parameter (core/lists.py): the same rows as an IN list, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from civicid.core import jobs
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.dialects import per_dialect
from civicid.core.jobs import Job
from civicid.core.lists import one_of
from civicid.core.runtime import Database
from civicid.enrollment.models import ApplicationPart

_SUBJECTS = per_dialect(lambda dialect: select(Job.subject_id).where(one_of(Job.subject_id, "subjects", dialect)))
_IDS = per_dialect(lambda dialect: select(Job.id).where(one_of(Job.id, "ids", dialect)))


def test_a_list_parameter_selects_the_rows_an_in_list_selects(database: Database, clock: FixedClock) -> None:
    with unit_of_work(database.sessions) as session:
        jobs.enqueue_many(session=session, clock=clock, kind="test.work", subject_ids=[f"s{n}" for n in range(120)])
    wanted = [f"s{n}" for n in range(0, 120, 2)] + ["absent"]  # more values than psycopg caches queries for
    with unit_of_work(database.sessions) as session:
        connection = session.connection()
        found = set(connection.execute(_SUBJECTS[connection.dialect.name], {"subjects": wanted}).scalars())
        ids = list(session.scalars(select(Job.id).where(Job.subject_id.in_(wanted))))
        by_id = set(connection.execute(_IDS[connection.dialect.name], {"ids": ids}).scalars())
        none = list(connection.execute(_SUBJECTS[connection.dialect.name], {"subjects": []}))
    assert found == set(wanted) - {"absent"}
    assert by_id == set(ids)
    assert none == []


def test_a_foreign_key_declared_without_a_type_binds_its_targets_type() -> None:
    statement = select(ApplicationPart.name).where(one_of(ApplicationPart.application_id, "ids", "postgresql"))
    assert "VARCHAR(36)[]" in str(statement.compile(dialect=postgresql.dialect()))
