"""The audit chain: appended from many writers at once, it stays one unbroken chain."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.core import audit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database


def _append(database: Database, clock: FixedClock, n: int) -> None:
    with unit_of_work(database.sessions) as session:
        audit.record(
            session=session,
            clock=clock,
            actor=audit.Actor("staff", f"writer{n % 4}"),
            action="person.read",
            subject_type="person",
            subject_id=str(n),
        )


def test_concurrent_appends_form_one_intact_chain(database: Database, clock: FixedClock) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: _append(database, clock, n), range(40)))
    with unit_of_work(database.sessions) as session:
        report = audit.verify_chain(session=session)
    assert report.intact
    assert report.entries == 40


def test_first_entry_chains_to_the_genesis_hash(database: Database, clock: FixedClock) -> None:
    _append(database, clock, 1)
    with unit_of_work(database.sessions) as session:
        (entry,) = audit.entries_for_subject(session=session, subject_type="person", subject_id="1")
    assert entry.prev_hash == audit.GENESIS_HASH
    assert entry.entry_hash == audit.chain_hash(audit.GENESIS_HASH, audit.content_digest(audit.hashed_content(entry)))


def test_a_removed_entry_breaks_the_chain(database: Database, clock: FixedClock) -> None:
    for n in range(3):
        _append(database, clock, n)
    with unit_of_work(database.sessions) as session:
        (middle,) = audit.entries_for_subject(session=session, subject_type="person", subject_id="1")
        session.delete(middle)
    with unit_of_work(database.sessions) as session:
        report = audit.verify_chain(session=session)
    assert not report.intact
    assert report.entries == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.fixed_dictionaries({m: st.text() for m in ("at", "actor", "action", "subject_type", "subject_id")}),
    details=st.dictionaries(st.text(max_size=8), _json, max_size=4),
)
def test_an_entrys_digest_is_the_sha256_of_its_canonical_json(texts: dict[str, str], details: dict[str, Any]) -> None:
    """The digest written member by member is the one the generic RFC 8785 path gives, or its same refusal."""
    content = {**texts, "details": details}
    try:
        expected = hashlib.sha256(rfc8785.dumps({"format": audit.AUDIT_FORMAT, **content})).hexdigest()
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            audit.content_digest(content)
        return
    assert audit.content_digest(content) == expected


def test_an_entry_of_another_shape_is_digested_by_the_generic_path() -> None:
    content = {"at": "2026-11-29T00:00:00.000000+00:00", "actor": "system:x", "action": 1, "details": {"n": 1.5}}
    expected = hashlib.sha256(rfc8785.dumps({"format": audit.AUDIT_FORMAT, **content})).hexdigest()
    assert audit.content_digest(content) == expected


def test_an_entry_with_a_lone_surrogate_is_refused_as_the_generic_path_refuses_it() -> None:
    content = {m: "x" for m in ("at", "action", "subject_type", "subject_id")} | {"actor": "\ud800", "details": {}}
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps(content)
    with pytest.raises(rfc8785.CanonicalizationError):
        audit.content_digest(content)
