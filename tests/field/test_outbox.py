"""The outbox state machine: forward only, the server is the arbiter, and retries back off with jitter."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from civicid.field.models import OutboxState
from civicid.field.outbox import (
    FINAL,
    RetrySchedule,
    Review,
    after_review,
    after_send_started,
    after_server_status,
    is_unsent,
)

S = OutboxState
SERVER_STATUSES = [
    None,
    "receiving",
    "processing",
    "suspected_duplicate",
    "awaiting_approval",
    "issued",
    "needs_correction",
    "ineligible",
    "rejected",
    "rejected_duplicate",
    "rejected_integrity",
    "a_status_from_a_newer_server",
]
ORDER = [S.CAPTURED, S.APPROVED_ON_DEVICE, S.UPLOADING, S.UPLOADED]

events = st.one_of(
    st.sampled_from([("review", r) for r in Review]),
    st.just(("send", None)),
    st.sampled_from([("server", s) for s in SERVER_STATUSES]),
)


def step(state: OutboxState, event: tuple[str, object]) -> OutboxState:
    kind, value = event
    if kind == "review":
        return after_review(state, value) or state  # type: ignore[arg-type]
    if kind == "send":
        return after_send_started(state)
    return after_server_status(state, value)  # type: ignore[arg-type]


def rank(state: OutboxState) -> int:
    return ORDER.index(state) if state in ORDER else len(ORDER)


@given(st.lists(events, max_size=30))
def test_a_capture_never_moves_backwards(history: list[tuple[str, object]]) -> None:
    state = S.CAPTURED
    for event in history:
        following = step(state, event)
        assert rank(following) >= rank(state)
        if state in FINAL:
            assert following is state  # final states absorb every later event
        state = following


@given(st.lists(events, max_size=20), st.sampled_from(["issued", "needs_correction", "rejected_duplicate"]))
def test_whatever_came_before_the_servers_final_word_decides(history: list[tuple[str, object]], final: str) -> None:
    state = after_send_started(after_review(S.CAPTURED, Review.APPROVE) or S.CAPTURED)
    finals = {"issued", "needs_correction", "ineligible", "rejected", "rejected_duplicate", "rejected_integrity"}
    for event in history:
        if event[0] == "server" and event[1] in finals:
            continue  # only the one final status in this history
        state = step(state, event)
    expected = {"issued": S.ACCEPTED, "needs_correction": S.NEEDS_CORRECTION, "rejected_duplicate": S.REJECTED}[final]
    assert after_server_status(state, final) is expected


@given(st.lists(st.sampled_from(SERVER_STATUSES), max_size=10))
def test_a_capture_not_yet_reviewed_ignores_the_server(statuses: list[str | None]) -> None:
    state = S.CAPTURED
    for status in statuses:
        state = after_server_status(state, status)
    assert state is S.CAPTURED


def test_only_a_captured_item_is_reviewed() -> None:
    assert after_review(S.CAPTURED, Review.APPROVE) is S.APPROVED_ON_DEVICE
    assert after_review(S.CAPTURED, Review.REJECT) is S.REJECTED
    assert after_review(S.UPLOADING, Review.APPROVE) is None


def test_what_counts_as_unsent() -> None:
    assert is_unsent(S.CAPTURED, 3)
    assert is_unsent(S.UPLOADING, 0)
    assert is_unsent(S.UPLOADED, 1)  # a full-resolution part still on the kit
    assert not is_unsent(S.UPLOADED, 0)
    assert not is_unsent(S.REJECTED, 2)  # never to be sent


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_retry_delays_grow_are_jittered_and_capped(attempts: int, seed: int) -> None:
    schedule = RetrySchedule(base=dt.timedelta(seconds=10), cap=dt.timedelta(minutes=30))
    delay = schedule.delay(attempts, random.Random(seed))
    ceiling = min(schedule.cap, schedule.base * 2 ** min(max(attempts - 1, 0), 30))
    assert ceiling / 2 <= delay <= ceiling


def test_retries_spread_kits_that_lost_the_signal_together() -> None:
    schedule = RetrySchedule()
    delays = {schedule.delay(5, random.Random(seed)) for seed in range(50)}
    assert len(delays) > 40
