"""The same benchmarks against the code before a change and after it, alternating, in one run.

    python -m bench.before_after --base 8477b40 --rounds 3

A change that should cost nothing (decision 0035: other folders read the registry's and the
enrollment's tables through named queries) is shown to cost nothing by timing both versions of
``src/`` on the same machine, in the same minutes, round after round, the order swapped each round
so that neither always runs on a warmer or a busier machine. Each round runs, in a fresh process
per version (``PYTHONPATH`` puts that version's ``src/`` first; the benchmark code is this tree's):

- ``bench.enrollment_pipeline``: intake to issued, applications per second and per CPU-second;
- ``bench.campaign_dashboard --reuse``: the commune page, the page after 100 changes, a village's
  missing list and the province report (p50 and p95), on one data set loaded once before the rounds
  (the schema is the same on both sides: no migration).

The ratio is after ÷ before as a speed: a rate's ratio is after/before, a latency's before/after.
1.0 means as fast; the target of issue 12 is ≥ 0.95. The figures of each version are the medians
of its rounds. The base tree is ``git archive`` of the revision, unpacked under the system's
temporary folder (no worktree is added to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.figures import Report, console, percentile

ROOT = Path(__file__).resolve().parents[1]
# Databases of their own, so that this run never drops a database another benchmark is using.
CAMPAIGN_DATABASE = "civicid_bench_before_after_campaign"
ENROLLMENT_DATABASE = "civicid_bench_before_after_enrollment"

# The dashboard's calls whose CPU time is compared (the lambda is the page after 100 changes).
CPU_CALLS = {
    "commune_page": "commune page",
    "<lambda>": "commune page, 100 changes to count",
    "missing_list": "village missing list",
    "province_report": "province report (every commune)",
}

# (benchmark file, measure, kind): "rate" is better higher, "ms" better lower.
MEASURES: list[tuple[str, str, str]] = [
    ("enrollment_pipeline_sqlite", "intake to issued, one worker (one core)", "rate"),
    ("enrollment_pipeline_sqlite", "CPU of the CivicID process", "rate"),
    ("enrollment_pipeline_postgresql", "intake to issued, one worker (one core)", "rate"),
    ("enrollment_pipeline_postgresql", "CPU of the CivicID process", "rate"),
    # Only with --count-statements: the same work, counted rather than timed.
    ("enrollment_pipeline_sqlite", "SQL statements per application", "count"),
    ("enrollment_pipeline_postgresql", "SQL statements per application", "count"),
    ("campaign_dashboard", "commune page (GET /campaign) p50", "ms"),
    ("campaign_dashboard", "commune page (GET /campaign) p95", "ms"),
    ("campaign_dashboard", "commune page, 100 changes to count p50", "ms"),
    ("campaign_dashboard", "commune page, 100 changes to count p95", "ms"),
    ("campaign_dashboard", "village missing list p50", "ms"),
    ("campaign_dashboard", "village missing list p95", "ms"),
    ("campaign_dashboard", "province report (every commune) p50", "ms"),
    ("campaign_dashboard", "province report (every commune) p95", "ms"),
    # This process's CPU time per call (the app runs in it, under the test client): on a machine
    # shared with other jobs it moves far less with their load than the wall clock does.
    *[("dashboard_cpu", f"{m}, CPU p{q}", "ms") for m in CPU_CALLS.values() for q in (50, 95)],
]

_SHORT = {
    "enrollment_pipeline_sqlite": "intake, SQLite",
    "enrollment_pipeline_postgresql": "intake, PostgreSQL",
    "campaign_dashboard": "dashboard",
    "dashboard_cpu": "dashboard",
}

_CHILD = """
import json, sys, time
from pathlib import Path
import civicid
import bench.figures as figures
figures.RESULTS = Path(sys.argv[1])
Path(sys.argv[1], "civicid_file").write_text(civicid.__file__)
from bench import campaign_dashboard, enrollment_pipeline
campaign_dashboard.BENCH_DATABASE = {campaign!r}
enrollment_pipeline.BENCH_DATABASE = {enrollment!r}
enrollment_pipeline.DEMO_PEOPLE = {demo_people!r}
cpu = {{}}

def latencies_ms(call, count):
    # The dashboard's own timer, also keeping this process's CPU time per call, by what was called.
    samples = []
    for i in range(count):
        start, cpu_start = time.perf_counter(), time.process_time()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.setdefault(call.__name__, []).append((time.process_time() - cpu_start) * 1000)
    return samples

campaign_dashboard.latencies_ms = latencies_ms
what = sys.argv[2]
args = json.loads(sys.argv[3])
if what == "load":
    campaign_dashboard.main(args)
else:
    if args["enrollment"]:
        enrollment_pipeline.main(args["enrollment"])
    if args["campaign"]:
        campaign_dashboard.main(args["campaign"])
        Path(sys.argv[1], "dashboard_cpu.json").write_text(json.dumps(cpu))
"""


def base_tree(revision: str) -> Path:
    """``src/`` of ``revision``, unpacked once under the temporary folder."""
    target = Path(tempfile.gettempdir()) / f"civicid-base-{revision}"
    src = target / "src"
    if not (src / "civicid" / "__init__.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(  # noqa: S603 - git on this repository, with the revision asked for
            ["git", "archive", revision, "src"],  # noqa: S607 - the developer's own git
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)  # noqa: S603, S607
    return src


def _child(src: Path, what: str, args: Any, results: Path, demo_people: int) -> float:
    """Run the benchmarks in a fresh interpreter that imports ``civicid`` from ``src``; its wall seconds."""
    results.mkdir(parents=True, exist_ok=True)
    code = _CHILD.format(campaign=CAMPAIGN_DATABASE, enrollment=ENROLLMENT_DATABASE, demo_people=demo_people)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - this interpreter, running this module's own code
        [sys.executable, "-c", code, str(results), what, json.dumps(args)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    imported = Path((results / "civicid_file").read_text())
    if not imported.is_relative_to(src):
        raise RuntimeError(f"the child imported {imported}, not the code under {src}")
    return time.perf_counter() - start


def _figures(results: Path) -> dict[tuple[str, str], float]:
    """The figures the round wrote (those of the benchmarks it ran)."""
    found = {}
    for name, measure, _kind in MEASURES:
        path = results / f"{name}.json"
        if name == "dashboard_cpu" or not path.exists():
            continue
        for row in json.loads(path.read_text())["rows"]:
            if row["measure"] == measure:
                found[(name, measure)] = float(row["value"])
    if (results / "dashboard_cpu.json").exists():
        cpu = json.loads((results / "dashboard_cpu.json").read_text())
        for call, measure in CPU_CALLS.items():
            for q in (50, 95):
                found[("dashboard_cpu", f"{measure}, CPU p{q}")] = percentile(cpu[call], q)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="8477b40", help="the revision before the change")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--applications", type=int, default=300, help="per database, per round, per version")
    parser.add_argument(
        "--demo-people", type=int, default=4_000, help="the intake's registry (the benchmark's own default: 20,000)"
    )
    parser.add_argument("--people", type=int, default=40_000, help="the dashboard's data set")
    parser.add_argument("--communes", type=int, default=4)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--queries", type=int, default=40, help="dashboard queries per round")
    parser.add_argument("--intake-db", action="append", choices=["sqlite", "postgresql"], help="default: both")
    parser.add_argument("--no-intake", action="store_true")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--count-statements", action="store_true", help="also count the intake's SQL statements")
    args = parser.parse_args(argv)

    versions = {"before": base_tree(args.base), "after": ROOT / "src"}
    work = Path(tempfile.mkdtemp(prefix="civicid-before-after-"))
    if not args.no_dashboard:
        console.print(f"loading the dashboard's data set ({args.people:,} people) once, with the code after")
        load = ["--people", str(args.people), "--communes", str(args.communes), "--days", str(args.days)]
        _child(versions["after"], "load", [*load, "--queries", "2"], work / "load", args.demo_people)
    intake = ["--applications", str(args.applications)]
    for kind in args.intake_db or ["sqlite", "postgresql"]:
        intake += ["--db", kind]
    if args.count_statements:
        intake.append("--count-statements")
    child_args = {
        "enrollment": [] if args.no_intake else intake,
        "campaign": [] if args.no_dashboard else ["--reuse", "--queries", str(args.queries)],
    }
    samples: dict[str, list[dict[tuple[str, str], float]]] = {"before": [], "after": []}
    for round_ in range(args.rounds):
        order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
        for version in order:
            results = work / f"{round_}-{version}"
            seconds = _child(versions[version], "time", child_args, results, args.demo_people)
            samples[version].append(_figures(results))
            console.print(f"round {round_ + 1}/{args.rounds}: {version} in {seconds:.0f} s")

    report = Report("before_after")
    for name, measure, kind in MEASURES:
        if (name, measure) not in samples["before"][0]:
            continue
        before = statistics.median(s[(name, measure)] for s in samples["before"])
        after = statistics.median(s[(name, measure)] for s in samples["after"])
        unit = {"rate": "applications/CPU-s" if "CPU" in measure else "applications/s", "count": "statements"}
        report.add(f"{_SHORT[name]}: {measure}", after, unit.get(kind, "ms"), baseline=before)
        # The ratio column is the speed ratio: above 1 the code after is faster, whatever the unit.
        report.rows[-1]["ratio"] = after / before if kind == "rate" else before / after  # fewer statements: faster
        report.rows[-1]["before_rounds"] = [s[(name, measure)] for s in samples["before"]]
        report.rows[-1]["after_rounds"] = [s[(name, measure)] for s in samples["after"]]
    report.context = {
        "base": args.base,
        "rounds": args.rounds,
        "applications per database": args.applications,
        "intake registry": f"{max(args.demo_people, int(args.applications * 2.2)):,} people",
        "dashboard": f"{args.people:,} people, {args.communes} communes, {args.days} days, {args.queries} queries",
        "value": "after (median of rounds); baseline: before (median of rounds)",
        "ratio": "speed after ÷ before: after/before for rates, before/after for latencies; target ≥ 0.95",
        "worst speed ratio": round(min(r["ratio"] for r in report.rows), 3),
    }
    report.print()
    report.save()


if __name__ == "__main__":
    main()
