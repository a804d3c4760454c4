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
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # headless; figures kept for the site
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ["COURSE_STRICT_WARNINGS"] = "1"  # deprecations raised by torch/torchvision from course code are errors
os.environ["TQDM_DISABLE"] = "1"  # progress bars are for people: silent in tests (tqdm reads TQDM_<param>)
import matplotlib  # noqa: E402  (after MPLBACKEND is set for the kernels)

matplotlib.use("Agg")  # this process (unit tests) draws off-screen; the kernels use the inline backend
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several workers share the cores: one thread per kernel avoids oversubscription, which
    # measured 15-40x slower for the course's small models than one thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

_durations: dict[str, float] = defaultdict(float)
_executed: dict[str, object] = {}  # notebook path -> nbval's copy of it, its cells filled with the outputs of this run
EXECUTED_DIR = ROOT / "build" / "test-executed"


def pytest_runtest_makereport(item, call) -> None:
    """Keep each notebook cell's outputs from the nbval run, so that the site can be built from them
    (scripts/build_course.py --executed build/test-executed) without running the notebooks again."""
    if call.when == "call" and hasattr(item, "test_outputs") and hasattr(item, "cell"):
        item.cell.outputs = item.test_outputs or []
        _executed[str(item.fspath)] = item.parent.nb


def pytest_sessionfinish(session) -> None:
    if _executed:
        import nbformat

        EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
        for path, nb in _executed.items():
            nbformat.write(nb, EXECUTED_DIR / Path(path).name)


def pytest_runtest_logreport(report) -> None:
    if report.nodeid.split("::")[0].endswith(".ipynb"):
        _durations[report.nodeid.split("::")[0]] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if _durations:
        terminalreporter.section("notebook durations (quick mode, all cells)")
        for name, seconds in sorted(_durations.items(), key=lambda kv: -kv[1]):
            flag = "  <-- over the 45 s budget" if seconds > 45 else ""
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}{flag}")
