"""pytest plugin loaded for every run (see pyproject.toml): makes notebook runs quick,
offline and independent of the user's data, checks each notebook's student version in the same
run (see ``pytest_runtest_call``), and prints how long each notebook took."""

from __future__ import annotations

import ast
import importlib.util
import os
from collections import defaultdict
from pathlib import Path

import pytest

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
BEGIN = "### BEGIN SOLUTION"
PLACEHOLDER = "write your solution here"
_student_cells: dict[str, list[str]] = {}  # notebook path -> the student version's source of each code cell
_restore_after: dict[tuple[str, int], tuple[int, set[str]]] = {}  # (notebook, check cell) -> (exercise cell, names before it)
_exercise_cells: dict[str, list[int]] = defaultdict(list)  # notebook -> code cell numbers of its exercises so far
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


# --- The student version, checked inside the nbval run -----------------------------------------------------
# A student notebook (scripts/make_student.py) replaces each solution with a NotImplementedError placeholder.
# Instead of executing every notebook a second time as a student version, each exercise is checked in the
# kernel that nbval is running, when nbval reaches it:
#   1. the student version of the exercise cell runs first: it must raise the placeholder's
#      NotImplementedError, or (a placeholder inside a function) the exercise's check cell, run next, must;
#   2. nbval then runs the solution and the check cell as usual: the solution must pass its check;
#   3. after the check cell, the names the solution and its check created are removed and the student
#      versions of every exercise so far, and of their checks, run again, so that every later cell runs in the state a student
#      has (their functions still placeholders) and must not fail. Before a solution runs, the earlier
#      solutions are defined again, since a solution may build on an earlier one.
# Every cell before the first exercise runs without error too (nbval fails otherwise). What this does not
# see: a variable that a check cell assigns only after the call that raises for a student exists here.


def _make_student():
    spec = importlib.util.spec_from_file_location("make_student", ROOT / "scripts" / "make_student.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _student_source(path: str, cell_num: int) -> str:
    if path not in _student_cells:
        nb = _make_student().student_version(Path(path))
        _student_cells[path] = [c.source for c in nb.cells if c.cell_type == "code"]
    return _student_cells[path][cell_num]


def _run_in_kernel(item, source: str) -> dict:
    """Execute ``source`` in the item's notebook kernel, outside nbval's bookkeeping; return the reply's content,
    with ``names``: the kernel's global names afterwards."""
    kernel = item.parent.kernel
    timeout = item.config.option.nbval_cell_timeout
    msg_id = kernel.kc.execute(
        source, store_history=False, allow_stdin=False, stop_on_error=False, user_expressions={"names": "sorted(globals())"}
    )
    while True:
        reply = kernel.get_message(stream="shell", timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    kernel.await_idle(msg_id, timeout)
    content = reply["content"]
    names = content.get("user_expressions", {}).get("names", {}).get("data", {}).get("text/plain", "[]")
    content["names"] = set(ast.literal_eval(names)) if content.get("status") == "ok" else set()
    return content


def _is_placeholder_error(content: dict) -> bool:
    return content.get("status") == "error" and content.get("ename") == "NotImplementedError" and PLACEHOLDER in content.get("evalue", "")


def _nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num") and os.environ.get("COURSE_STUDENT_CHECK", "1") == "1"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item) -> None:
    if not _nbval_cell(item) or BEGIN not in item.cell.source:
        return
    path, n = str(item.fspath), item.cell_num
    student = _student_source(path, n)
    names_before = _run_in_kernel(item, "pass")["names"]  # a reply that is an error carries no user_expressions
    first = _run_in_kernel(item, student)
    if not _is_placeholder_error(first):
        if first.get("status") == "error":
            found = f"{first.get('ename')}: {first.get('evalue')}"
            raise AssertionError(f"student version of code cell {n}: {found} (expected the placeholder)")
        second = _run_in_kernel(item, _student_source(path, n + 1))  # a placeholder inside a function: the check meets it
        if not _is_placeholder_error(second):
            raise AssertionError(
                f"student version: the check after code cell {n} should stop at the placeholder (NotImplementedError), "
                f"got status {second.get('status')} {second.get('ename', '')}: {second.get('evalue', '')}"
            )
    # A solution may call an earlier exercise's solution (focal loss builds on the BCE of exercise 1): define them again.
    solutions = [c.source for c in item.parent.nb.cells if c.cell_type == "code"]
    for earlier in _exercise_cells[path]:
        done = _run_in_kernel(item, solutions[earlier])
        if done.get("status") == "error":
            raise AssertionError(
                f"the solution of code cell {earlier}, run again before cell {n}: {done.get('ename')}: {done.get('evalue')}"
            )
    _exercise_cells[path].append(n)
    _restore_after[(path, n + 1)] = (n, names_before)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item) -> None:
    """After an exercise's check: back to the state a student has. Names that the solution and its check
    created are removed, then the student versions of the exercise cell and of its check run again
    (their placeholder errors are what a student sees; later cells must run all the same)."""
    if not _nbval_cell(item):
        return
    pending = _restore_after.pop((str(item.fspath), item.cell_num), None)
    if pending is None or getattr(item.parent, "kernel", None) is None or not item.parent.kernel.is_alive():
        return
    _, names_before = pending
    path = str(item.fspath)
    now = _run_in_kernel(item, "pass")["names"]
    created = sorted(name for name in now - names_before if not name.startswith("_"))
    if created:
        _run_in_kernel(item, "\n".join(f"del {name}" for name in created))
    for cell in _exercise_cells[path]:  # every exercise so far back to its placeholder, and its check's stand-in if it sets one
        _run_in_kernel(item, _student_source(path, cell))
        _run_in_kernel(item, _student_source(path, cell + 1))
