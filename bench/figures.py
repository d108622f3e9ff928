"""Measuring and reporting: percentiles, timers, and one JSON result file per benchmark.

Every benchmark prints its figures next to a baseline measured in the same run on the same machine,
so a reader compares ratios, not absolute numbers from a shared, noisy machine.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
console = Console()


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latencies_ms(call: Callable[[int], object], count: int) -> list[float]:
    """Time ``call(i)`` for i in range(count); milliseconds each."""
    samples = []
    for i in range(count):
        start = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@dataclass
class Report:
    """Rows of (measure, value, unit, baseline, ratio, target) for one benchmark."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def add(self, measure: str, value: float, unit: str, *, baseline: float | None = None, target: str = "") -> None:
        ratio = None if not baseline else value / baseline
        self.rows.append(
            {"measure": measure, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio, "target": target}
        )

    def add_latencies(self, measure: str, samples: list[float], *, baseline: list[float], target: str = "") -> None:
        for q in (50, 95):
            self.add(
                f"{measure} p{q}",
                percentile(samples, q),
                "ms",
                baseline=percentile(baseline, q),
                target=target if q == 95 else "",
            )

    def print(self) -> None:
        table = Table(title=self.name)
        for column in ("measure", "value", "unit", "baseline", "ratio", "target"):
            table.add_column(column, justify="right" if column in ("value", "baseline", "ratio") else "left")
        for row in self.rows:
            table.add_row(
                row["measure"],
                _fmt(row["value"]),
                row["unit"],
                _fmt(row["baseline"]),
                "" if row["ratio"] is None else f"{row['ratio']:.2f}×",
                row["target"],
            )
        console.print(table)
        for key, value in self.context.items():
            console.print(f"  {key}: {value}")

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        document = {
            "name": self.name,
            "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
            "context": self.context,
            "rows": self.rows,
        }
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False))
        return path


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def median(samples: list[float]) -> float:
    return statistics.median(samples)
