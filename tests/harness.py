"""pytest plugin loaded for every run (see pyproject.toml): makes notebook runs quick,
offline and independent of the user's data, and prints how long each notebook took."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Set before any kernel starts, so that notebook kernels inherit them.
os.environ["COURSE_QUICK"] = "1"
os.environ["COURSE_OFFLINE"] = "1"  # tests never download
os.environ["COURSE_DATA_DIR"] = str(ROOT / "build" / "test-data")  # never the user's full copy
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several workers share the cores: one thread per kernel avoids oversubscription, which
    # measured 15-40x slower for the course's small models than one thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

_durations: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report) -> None:
    if report.nodeid.split("::")[0].endswith(".ipynb"):
        _durations[report.nodeid.split("::")[0]] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if _durations:
        terminalreporter.section("notebook durations (quick mode, all cells)")
        for name, seconds in sorted(_durations.items(), key=lambda kv: -kv[1]):
            flag = "  <-- over the 45 s budget" if seconds > 45 else ""
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}{flag}")
