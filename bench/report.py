"""What a run prints: the machine it ran on, and one table of figures against their targets."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str = "—"
    result: str = "info"  # "pass", "short", or "info" where there is no target yet


def judged(figure: str, value: str, target: str, met: bool) -> Row:
    return Row(figure, value, target, "pass" if met else "short")


def machine(postgres: str) -> dict[str, str]:
    cores = len(os.sched_getaffinity(0))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cores (nproc)": str(cores),
        "cpu": _cpuinfo("model name") or platform.processor() or "unknown",
        "memory": _memory(),
        "load average at start": load,
        "python": platform.python_version(),
        "postgresql": postgres,
    }


def _cpuinfo(field: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == field:
                return value.strip()
    except OSError:
        pass
    return None


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def table(rows: list[Row]) -> str:
    header = Row("figure", "value", "target", "result")
    widths = [max(len(getattr(row, name)) for row in (header, *rows)) for name in ("figure", "value", "target")]
    lines = []
    for row in (header, *rows):
        lines.append(f"{row.figure:<{widths[0]}}  {row.value:>{widths[1]}}  {row.target:<{widths[2]}}  {row.result}")
        if row is header:
            lines.append("  ".join("-" * width for width in widths) + "  ------")
    return "\n".join(lines)


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def millis(value: float) -> str:
    return f"{value * 1000:.1f} ms"
