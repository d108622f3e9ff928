"""RFC 8785 JSON Canonicalization Scheme (JCS), fast for the values CivicID hashes and signs.

The ``rfc8785`` package serialises value by value in Python; on the enrollment path (every packet
envelope at intake, every audit entry) it cost more than the signature check it precedes. For the
values these formats hold, the standard library's C encoder already writes exactly the JCS bytes:

- objects with ASCII keys, sorted: code-point order is then the UTF-16 code-unit order of
  RFC 8785 §3.2.3;
- strings escaped as RFC 8785 §3.2.2.2 wants (``\\"``, ``\\\\``, the short forms ``\\b \\f \\n \\r \\t``,
  other control characters as ``\\u00xx`` in lower-case hex, everything else as UTF-8);
- integers within ±(2^53 − 1), ``true``, ``false``, ``null``; arrays from lists and tuples.

Anything else (a float, a non-ASCII key, a larger integer, a lone surrogate, another type) goes to
``rfc8785``, which formats floats as ECMAScript does and refuses what JCS cannot represent. The
tests compare both on generated values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_INT_LIMIT = 2**53 - 1
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON value (dicts, lists, tuples, str, int, bool, None, float)."""
    if _plain(value):
        try:
            return _ENCODE(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 refuses it with its own error
            pass
    return rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    """True when the standard encoder's output is already canonical (see the module docstring).

    Loops, not generators: this walks every audit entry's details (lists of ids included).
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_INT_LIMIT <= value <= _INT_LIMIT)
    if kind is dict:
        for key, member in value.items():
            if type(key) is not str or not key.isascii() or not _plain(member):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if type(item) is str or (type(item) is int and -_INT_LIMIT <= item <= _INT_LIMIT):
                continue
            if not _plain(item):
                return False
        return True
    return isinstance(value, str)  # a str subclass (StrEnum) is written as its value by both
