"""Every notebook is stored clean and follows the course conventions (CONTRIBUTING.md)."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REGRESSION = {"keep_output", "nbval-check-output"}


def test_there_are_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS][:1] == ["00"]


def test_notebooks_are_stripped():
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", "--keep-count", *map(str, NOTEBOOKS)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"run `make strip` (or `make refresh`): {result.stdout}{result.stderr}"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_only_regression_cells_keep_outputs(nb):
    path, book = nb
    for i, cell in enumerate(c for c in book.cells if c.cell_type == "code"):
        tags = set(cell.metadata.get("tags", []))
        if tags & REGRESSION:
            assert tags >= REGRESSION, f"{path.name} code cell {i}: regression cells need both tags {sorted(REGRESSION)}"
            assert cell.outputs and cell.execution_count, f"{path.name} code cell {i}: regression cell has no stored output (make refresh)"
        else:
            assert not cell.outputs and cell.execution_count is None, f"{path.name} code cell {i} carries outputs (make strip)"
    assert any(set(c.metadata.get("tags", [])) >= REGRESSION for c in book.cells), f"{path.name} has no regression cell"


def test_header_parameters_and_setup(nb):
    path, book = nb
    header = book.cells[0].source
    assert header.startswith(f"# {path.name[:2]} · "), f"{path.name}: first cell must start with '# {path.name[:2]} · Title'"
    for needed in ("Estimated time:", "Prerequisites:", "Learning objectives"):
        assert needed in header, f"{path.name}: header lacks '{needed}'"
    code = [c for c in book.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    assert "QUICK: bool = False" in params[0].source and "SEED: int" in params[0].source
    setup = code[code.index(params[0]) + 1].source
    assert "cu.quick_mode(QUICK)" in setup and "seed_everything" in setup and "print(" in setup and 'f"Config:' in setup


def test_teaching_structure(nb):
    path, book = nb
    text = "\n".join(c.source for c in book.cells)
    markdown = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    for section in ("## Takeaways", "## Pitfalls", "## Exercises", "## References"):
        assert section in markdown, f"{path.name}: no '{section}' section"
    solutions = [c for c in book.cells if "### BEGIN SOLUTION" in c.source]
    assert len(solutions) >= 3, f"{path.name}: at least three exercises with solution markers"
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION")
    assert "check_claim(" in text, f"{path.name}: no claim is checked"
    assert "assert_close(" in text, f"{path.name}: nothing from scratch is compared with PyTorch"
    assert not re.search(r"\.\./shared|/work/", text), f"{path.name} reads files outside the repository"
    assert "$$" in markdown, f"{path.name}: no displayed equation"


def test_no_trivially_true_claims(nb):
    path, book = nb
    for cell in book.cells:
        for line in cell.source.splitlines():
            assert "check_claim(" not in line or ", True," not in line, f"{path.name}: a claim checked against a constant True"


def test_papermill_sees_every_parameter(nb):
    """papermill parses `NAME: type = value  # comment` only for simple types and comments without '='."""
    from papermill.inspection import inspect_notebook

    path, book = nb
    cell = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    assigned = set(re.findall(r"^([A-Za-z_]\w*)\s*[:=]", cell.source, re.M))
    missing = assigned - set(inspect_notebook(str(path)))
    assert not missing, f"{path.name}: papermill cannot parse {sorted(missing)} (no `int | None` annotations, no '=' in comments)"
