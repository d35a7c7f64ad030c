"""The session's outputs: ``bench.json``, ``bench.md`` and ``bench.png``.

The JSON file holds everything (the capacity model, each row, the conversion
profile, the verdicts); the Markdown file is the table the README shows; the
plot draws run time against N for each approach, with the server's limit
N x L / C as a dashed line, on log-log axes.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.scenario import Suite
from benchmarks.suite import Row
from benchmarks.targets import Verdict

__all__ = ["COLUMNS", "LABELS", "write_report"]

LABELS = {
    "sequential": "requests, sequential (original)",
    "gather": "aiohttp gather (original)",
    "gather-semaphore": "aiohttp gather + semaphore",
    "detail": "centreon-lake, detail mode",
    "listing": "centreon-lake, listing mode",
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("approach", "approach"),
    ("resources", "N"),
    ("ratio", "x N·L/C"),
    ("delivered", "delivered"),
    ("run_s", "run s"),
    ("wall_s", "process s"),
    ("limit_s", "N·L/C s"),
    ("requests", "requests"),
    ("retries", "retries"),
    ("refused", "refused"),
    ("max_in_flight", "max in flight"),
    ("rows", "rows"),
    ("failed", "lost"),
    ("peak_rss_mb", "peak RSS MB"),
    ("cpu_us_per_resource", "CPU µs/resource"),
    ("server_cpu_s", "server CPU s"),
    ("status", "status"),
)
"""Markdown columns, as (Row field, header)."""

LOSSLESS = 0.995
"""Below this share of rows delivered, the plot marks the point: a fast run
that lost rows is not a fast run."""


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "approach":
        return LABELS.get(str(value), str(value))
    if key == "ratio":
        return f"{value:.2f}x"
    if key == "delivered":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"

    return str(value).replace("|", "/")


def markdown(
    suite: Suite,
    rows: Sequence[Row],
    verdicts: Sequence[Verdict],
    conversion: Mapping[str, Any] | None,
) -> str:
    """The results as Markdown: the capacity model, the table, the verdicts."""
    cap = suite.capacity
    lines = [
        f"Session `{suite.name}`: {cap.workers} workers, backlog {cap.backlog}, "
        f"median latency {cap.latency_ms:g} ms (spread {cap.latency_spread:g}), "
        f"{cap.fault_rate:.0%} transient faults, concurrency budget {suite.budget}, "
        f"page size {suite.page_size}; C = {min(cap.workers, suite.budget)}.",
        "",
        "| " + " | ".join(header for _, header in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        data = row.to_dict()
        lines.append("| " + " | ".join(_cell(k, data[k]) for k, _ in COLUMNS) + " |")
    notes = [
        f"- {LABELS[r.approach]}, N={r.resources:,}: {r.note}" for r in rows if r.note
    ]
    if notes:
        lines += ["", *notes]
    if conversion:
        title = "Conversion profile, detail bodies to Parquet (CPU per resource):"
        lines += ["", title, ""]
        lines += ["| stage | µs/resource |", "|---|---|"]
        for stage, value in conversion.get("stages_us", {}).items():
            lines.append(f"| {stage} | {value:.1f} |")
        lines.append(f"| **total** | **{conversion['total_us']:.1f}** |")
        hotspots = conversion.get("hotspots", [])
        if hotspots:
            lines += ["", "Where that CPU goes (cProfile, own time):", ""]
            lines += ["| function | share |", "|---|---|"]
            for spot in hotspots:
                lines.append(f"| `{spot['function']}` | {spot['share']:.0%} |")
    lines += ["", "| target | goal | measured | met | gap | where the time went |"]
    lines.append("|---|---|---|---|---|---|")
    for v in verdicts:
        met = {True: "yes", False: "**no**", None: "-"}[v.met]
        cells = [v.target, v.goal, v.measured, met, v.gap, v.why or "-"]
        lines.append("| " + " | ".join(cells) + " |")

    return "\n".join(lines) + "\n"


def _run_time(row: Row) -> float:
    """The approach's own clock when it reported one, else its process's."""
    if row.run_s is not None:
        return row.run_s

    return row.wall_s if row.wall_s is not None else float("nan")


def plot(suite: Suite, rows: Sequence[Row], path: Path) -> None:
    """Run time against N per approach, with the N x L / C line, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, StrMethodFormatter

    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    for approach, label in LABELS.items():
        done = sorted(
            (r for r in rows if r.approach == approach and r.status == "ok"),
            key=lambda r: r.resources,
        )
        xs = [r.resources for r in done]
        ys = [_run_time(r) for r in done]
        if done:
            axes.plot(xs, ys, marker="o", label=label)
        for row, x, y in zip(done, xs, ys, strict=True):
            if row.delivered is not None and row.delivered < LOSSLESS:
                text = f"{row.delivered:.0%} delivered"
                axes.annotate(
                    text,
                    (x, y),
                    fontsize="x-small",
                    xytext=(4, -10),
                    textcoords="offset points",
                )
    limits = dict(sorted({r.resources: r.limit_s for r in rows}.items()))
    sizes = list(limits)
    if sizes:
        axes.plot(
            sizes,
            list(limits.values()),
            linestyle="--",
            color="grey",
            label="N·L/C (detail)",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_formatter(StrMethodFormatter("{x:,g}"))
        axis.set_minor_formatter(NullFormatter())
    axes.set_xticks(sizes)
    axes.set_xlabel("resources N")
    axes.set_ylabel("run time, s")
    axes.set_title(f"centreon-lake vs the original approach ({suite.name} session)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(
    folder: Path,
    suite: Suite,
    rows: Sequence[Row],
    verdicts: Sequence[Verdict],
    conversion: Mapping[str, Any] | None,
) -> dict[str, Path]:
    """Write bench.json, bench.md and bench.png into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "bench.json",
        "markdown": folder / "bench.md",
        "plot": folder / "bench.png",
    }
    document = {
        "suite": suite.name,
        "capacity": asdict(suite.capacity),
        "budget": suite.budget,
        "page_size": suite.page_size,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": [r.to_dict() for r in rows],
        "conversion": dict(conversion) if conversion else None,
        "targets": [v.to_dict() for v in verdicts],
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(
        markdown(suite, rows, verdicts, conversion), encoding="utf-8"
    )
    plot(suite, rows, paths["plot"])

    return paths
