"""Where PostgreSQL and SQLite differ is said in core (``core/dialects.py``, decision 0036).

Capabilities ask ``on_postgresql(connection)`` or take a statement built per dialect; none compares a
dialect's name itself, so that each difference is written once and a third database would have one
place to go.
"""

from __future__ import annotations

import re
from pathlib import Path

import civicid

PACKAGE = Path(civicid.__file__).parent
COMPARES_A_DIALECT = re.compile(r"\bdialect(?:\.name)?\s*[!=]=|[!=]=\s*[\w.()]*\bdialect(?:\.name)?\b")


def comparisons(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if COMPARES_A_DIALECT.search(line)]


def test_no_module_outside_core_compares_a_dialects_name() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}: {line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "core"
        for line in comparisons(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_sees_the_ways_a_dialect_was_compared() -> None:
    seen = comparisons(
        'if connection.dialect.name == "postgresql":\n'
        'postgresql = session.get_bind().dialect.name == "postgresql"\n'
        'if dialect == "postgresql":\n'
        'if "sqlite" != dialect:\n'
        "rows = connection.execute(_CASES[connection.dialect.name])\n"
    )
    assert len(seen) == 4
