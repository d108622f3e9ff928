"""What every input must be before it reaches a service: the shared pydantic types of the edge.

The edge (``web/edge.py``) refuses control characters in any path, query, form or JSON text, and
bodies over their route's size, before a router runs. What is left to the types here is what only
the field knows:

- :data:`RowId` — a row id bounded to the column: ids are ``INTEGER`` on both databases, so
  PostgreSQL refuses a parameter past 2³¹ − 1 and SQLite's driver one past 2⁶³ − 1 (a 500 before
  this type). Every id a client sends, in a path, a query or a body, has this type.
- :data:`PersonName` — a name tidied the same way wherever it enters (registration and correction):
  Unicode NFC, the invisible format characters (bidirectional overrides, zero-width joiners and
  spaces, Unicode category Cf) removed, white space collapsed, then measured.
- :data:`Flag` — a JSON boolean, and only that: pydantic's lax mode took ``0``, ``1``, ``"yes"`` and
  ``"off"`` for booleans, so that ``{"is_duplicate": 0}`` decided a duplicate. Every boolean a
  client sends in a body has this type (query parameters keep their "true"/"false" spelling).
- :data:`NOT_NULL` — for partial updates (PATCH), a member that may be left out but not sent as
  ``null``: "keep the value" is said by leaving it out, and a required column has no null to take.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictBool

#: The largest id a column holds on both databases (PostgreSQL's ``integer``).
MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Ge(1), Le(MAX_ROW_ID)]
Flag = StrictBool

#: C0 and C1 control characters and DEL, but tab, line feed and carriage return (text may have lines).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def tidy_name(value: Any) -> Any:
    """NFC, no invisible format characters, single spaces: the one normal form of a person's name."""
    if not isinstance(value, str):
        return value
    composed = unicodedata.normalize("NFC", value)
    visible = "".join(ch for ch in composed if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


PersonName = Annotated[str, BeforeValidator(tidy_name), Field(min_length=2, max_length=200)]


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null: leave the member out to keep its value")
    return value


NOT_NULL = AfterValidator(_refuse_null)


def not_null_in_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """``json_schema_extra`` for a model with :data:`NOT_NULL` members: their schema offers no null.

    Pydantic describes ``X | None`` as ``anyOf: [X, null]``; the document must say what the server
    takes, so the null branch goes from every member that refuses it.
    """
    properties = schema.get("properties", {})
    for name, field in model.model_fields.items():
        if NOT_NULL not in field.metadata or name not in properties:
            continue
        member = properties[name]
        branches = [b for b in member.pop("anyOf", []) if b.get("type") != "null"]
        member.pop("default", None)
        if len(branches) == 1:
            member.update(branches[0])
        elif branches:
            member["anyOf"] = branches
