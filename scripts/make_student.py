"""Write the student version of every notebook: each solution is replaced by a placeholder.

    python scripts/make_student.py [notebooks/NN_name.ipynb ...]   # default: all, into build/student/

Solutions sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers).
An nbconvert preprocessor replaces what lies between them, markers included, with
``raise NotImplementedError("...")`` naming the exercise, at the markers' indentation; code
outside the markers (a skeleton, or the buggy code a student must fix) stays. The notebooks
are written stripped of outputs, ready to hand out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import Preprocessor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "student"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_EXERCISE = re.compile(r"(?:^#+\s*|\*\*)(Exercise\s+\d+[^*\n]*)", re.M)  # "### Exercise 2 — title" or "**Exercise 2.**"


class ClearSolutions(Preprocessor):
    """Replace every ``BEGIN SOLUTION``...``END SOLUTION`` block with a ``NotImplementedError`` placeholder."""

    def preprocess(self, nb, resources):
        exercise = "this exercise"
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found = _EXERCISE.findall(cell.source)
                if found:
                    exercise = found[-1].strip().rstrip(".:").split(" — ")[0].split(" - ")[0]
            elif BEGIN in cell.source:
                cell.source = clear_solution(cell.source, exercise)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        return nb, resources


def placeholder(exercise: str) -> str:
    return (
        f"raise NotImplementedError({f'{exercise}: write your solution here (the task is in the cell above), then run the check below.'!r})"
    )


def clear_solution(source: str, exercise: str) -> str:
    """The cell's code with each solution block replaced by a placeholder."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"nested '{BEGIN}' in the cell for {exercise}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + placeholder(exercise))
        elif stripped == END:
            if not inside:
                raise ValueError(f"'{END}' without '{BEGIN}' in the cell for {exercise}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{BEGIN}' without '{END}' in the cell for {exercise}")
    return "\n".join(out)


def student_version(path: Path) -> nbformat.NotebookNode:
    exporter = NotebookExporter()
    exporter.register_preprocessor(ClearSolutions, enabled=True)
    body, _ = exporter.from_filename(str(path))
    return nbformat.reads(body, as_version=4)


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    OUT.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = student_version(path)
        n = sum(BEGIN in c.source for c in nbformat.read(path, as_version=4).cells)
        nbformat.write(nb, OUT / path.name)
        print(f"{OUT.relative_to(ROOT) / path.name}: {n} solution(s) replaced")


if __name__ == "__main__":
    main(sys.argv[1:])
