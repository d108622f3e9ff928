"""RFC 8785 canonical JSON (core/crypto/canonical.py): byte for byte what ``rfc8785`` writes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.core.crypto.canonical import canonical_json

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_same_bytes_as_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, 'x\u2028\x7f/"\\\n\x01'], "é": 1.5},
        {"\U0001f600": 1, "\ufb33": 2},  # UTF-16 order differs from code-point order here
        {"k": Colour.RED, "t": ("a", 2)},
        {"n": 2**53 - 1, "m": -(2**53) + 1},
    ],
)
def test_the_cases_the_fast_path_must_get_right(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [2**53, "\ud800", {1: "x"}, float("nan")])
def test_what_jcs_cannot_represent_is_refused(value: Any) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json(value)
