"""Student versions: every solution becomes a placeholder, and the student version of every notebook is
checked inside the nbval run of `make test` (tests/harness.py): at each exercise the placeholder must
raise, the solution must pass its check, and every later cell must run in the student's state. These
tests check the builder and, on small notebooks of their own, that the harness catches each defect."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
spec = importlib.util.spec_from_file_location("make_student", ROOT / "scripts" / "make_student.py")
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)


def test_clear_solution_keeps_the_code_outside_the_markers():
    source = "def f(x):\n    y = x + 1  # given\n    ### BEGIN SOLUTION\n    return y * 2\n    ### END SOLUTION\n"
    cleared = make_student.clear_solution(source, "Exercise 7")
    assert "y = x + 1" in cleared and "return y * 2" not in cleared and "SOLUTION" not in cleared
    assert "    raise NotImplementedError('Exercise 7: write your solution here" in cleared
    compile(cleared, "cell", "exec")
    for broken in ("### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"):
        with pytest.raises(ValueError, match="SOLUTION"):
            make_student.clear_solution(broken, "Exercise 1")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_has_placeholders_and_compiles(path):
    nb = make_student.student_version(path)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("write your solution here" in s for s in code), f"{path.name}: the student version has no placeholder"
    assert not any("### BEGIN SOLUTION" in s for s in code)
    for s in code:
        compile("\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))), path.name, "exec")


PARAMS = "QUICK = True"
GOOD = [
    "import math",
    "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
    "assert double(3) == 6",
    "def quadruple(x):\n    ### BEGIN SOLUTION\n    return double(double(x))\n    ### END SOLUTION",  # builds on exercise 1
    "assert quadruple(1) == 4",
    "print(math.pi)",
]
CASES = {
    "good": (GOOD, 0, ""),
    # a later cell needs the student's function: a student's notebook would stop there
    "later_cell_uses_the_solution": ([*GOOD, "print(double(5))"], 1, "write your solution here"),
    # the solution does not pass its check
    "wrong_solution": ([GOOD[0], GOOD[1].replace("2 * x", "3 * x"), GOOD[2]], 1, "AssertionError"),
    # the placeholder is never met: the check does not call the function
    "check_skips_the_exercise": ([GOOD[0], GOOD[1], "assert True"], 1, "should stop at the placeholder"),
    # a top-level exercise whose result a later cell uses without a stand-in
    "top_level_result_used_later": (
        ["### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "assert answer == 42", "print(answer + 1)"],
        1,
        "NameError",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_harness_checks_each_exercise_in_the_nbval_run(case, tmp_path):
    cells, expected_code, expected_text = CASES[case]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("### Exercise 1 — demo")] + [nbformat.v4.new_code_cell(s) for s in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / f"{case}.ipynb"
    nbformat.write(nb, path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-cell-timeout=60",
            str(path),
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "pyproject.toml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode != 0) == bool(expected_code), done.stdout[-3000:]
    assert expected_text in done.stdout, done.stdout[-3000:]
