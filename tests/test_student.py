"""Student versions: every solution becomes a placeholder, and a student notebook run in quick mode
fails first at its first exercise (the placeholder's cell, or its check cell when the placeholder is
inside a function), with the placeholder's message, and nowhere before it; every cell that is not
part of an exercise still runs."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


def _exercises(nb: nbformat.NotebookNode) -> list[list[int]]:
    """For each placeholder, in order: the indices of its cell and of the code cell after it (its check)."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return [
        [i, *code[k + 1 : k + 2]]
        for k, i in enumerate(code)
        if "NotImplementedError(" in nb.cells[i].source and "write your solution here" in nb.cells[i].source
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_notebook_fails_first_at_its_first_exercise(path):
    nb = make_student.student_version(path)
    exercises = _exercises(nb)
    assert exercises, f"{path.name}: the student version has no placeholder"
    exercise = sorted({i for cells in exercises for i in cells})
    assert "### BEGIN SOLUTION" not in "".join(c.source for c in nb.cells if c.cell_type == "code")
    for i in exercise:  # let exercise cells fail, and every other cell must run
        nb.cells[i].metadata.setdefault("tags", []).append("raises-exception")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors, f"{path.name}: the student version ran without any error"
    first_cell, first_error = errors[0]
    # A placeholder inside a function body raises when the function is called, i.e. in the exercise's check cell.
    assert first_cell in exercises[0], (
        f"{path.name}: the first error is in cell {first_cell}, not at the first exercise (cells {exercises[0]})"
    )
    assert first_error.ename == "NotImplementedError" and "write your solution here" in first_error.evalue
    stray = [i for i, _ in errors if i not in exercise]
    assert not stray, f"{path.name}: cells {stray} fail in the student version although they are not exercises"
