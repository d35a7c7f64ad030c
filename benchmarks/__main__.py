"""``python -m benchmarks [--quick]``: the benchmark session, end to end.

Runs every case of the session (the full one by default, ``--quick`` for a
CI-sized one), profiles the conversion from JSON bodies to Parquet, judges the
scale targets, and writes ``bench.json``, ``bench.md`` and ``bench.png``
(into ``benchmarks/results/`` for the full session, a temporary folder for
the quick one unless ``--out`` says otherwise). The Markdown table is also
printed on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import conversion
from benchmarks.report import LABELS, markdown, write_report
from benchmarks.scenario import APPROACHES, FULL, QUICK, Suite
from benchmarks.suite import Row, run_suite
from benchmarks.targets import Verdict, judge

__all__ = ["main", "run_session"]

RESULTS = Path(__file__).resolve().parent / "results"


def _progress(row: Row) -> None:
    ratio = f"{row.ratio:.2f}x N·L/C" if row.ratio is not None else row.status
    wall = f"{row.wall_s:.1f} s" if row.wall_s is not None else row.note
    sys.stderr.write(
        f"  {LABELS[row.approach]:<34} N={row.resources:>7,}  {ratio}  ({wall})\n"
    )


def run_session(
    suite: Suite, folder: Path, *, profile_resources: int, verbose: bool = False
) -> tuple[list[Row], list[Verdict], dict[str, Any] | None, dict[str, Path]]:
    """Run ``suite``, profile the conversion, judge, and write the outputs."""
    rows = run_suite(suite, progress=_progress if verbose else None)
    profile, why = conversion.profile_or_reason(profile_resources)
    if profile:
        stages = ", ".join(f"{k} {v:.1f} us" for k, v in profile["stages_us"].items())
        spots = ", ".join(
            f"{h['function']} {h['share']:.0%}" for h in profile["hotspots"][:3]
        )
        why = f"{stages}; hottest: {spots}"
    verdicts = judge(
        rows,
        detail_sizes=suite.sizes.get("detail", ()),
        listing_sizes=suite.sizes.get("listing", ()),
        conversion_us=profile["total_us"] if profile else None,
        conversion_note=why,
    )
    paths = write_report(folder, suite, rows, verdicts, profile)

    return rows, verdicts, profile, paths


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one session."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized session")
    parser.add_argument("--out", type=Path, help="folder for bench.json/md/png")
    parser.add_argument(
        "--only",
        help="comma-separated approaches to run: " + ", ".join(APPROACHES),
    )
    args = parser.parse_args(argv)

    suite = QUICK if args.quick else FULL
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        unknown = wanted - set(APPROACHES)
        if unknown:
            parser.error(f"unknown approach: {', '.join(sorted(unknown))}")
        suite = suite.only(wanted)
    folder = args.out
    if folder is None:
        folder = (
            Path(tempfile.mkdtemp(prefix="centreon-bench-")) if args.quick else RESULTS
        )
    profile_resources = 2000 if args.quick else 20_000
    sys.stderr.write(f"benchmark session {suite.name!r} -> {folder}\n")
    rows, verdicts, profile, paths = run_session(
        suite, folder, profile_resources=profile_resources, verbose=True
    )
    sys.stdout.write(markdown(suite, rows, verdicts, profile))
    for kind, path in paths.items():
        sys.stderr.write(f"{kind}: {path}\n")

    return 0


if __name__ == "__main__":
    sys.exit(main())
