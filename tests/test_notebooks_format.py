"""Every notebook is stored clean and follows the course conventions (CONTRIBUTING.md)."""

import ast
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


def _code(book) -> str:
    """The notebook's code, with IPython magics and shell lines commented out so that ``ast`` parses it."""
    lines = []
    for cell in book.cells:
        if cell.cell_type == "code":
            lines += [("# " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.source.splitlines()] + [""]
    return "\n".join(lines)


def _trivial(node: ast.expr) -> str | None:
    """Why a claim's ``holds`` argument cannot be False, or None."""
    if isinstance(node, ast.Constant):
        return f"a constant {node.value!r}"
    if isinstance(node, ast.Compare) and len(node.comparators) == 1:
        left, right = ast.dump(node.left), ast.dump(node.comparators[0])
        if left == right and isinstance(node.ops[0], (ast.Eq, ast.LtE, ast.GtE, ast.Is)):
            return f"a value compared with itself ({ast.unparse(node)})"
        if isinstance(node.left, ast.Constant) and isinstance(node.comparators[0], ast.Constant):
            return f"constants compared ({ast.unparse(node)})"
    if (
        isinstance(node, ast.BoolOp)
        and isinstance(node.op, ast.Or)
        and any(_trivial(v) and isinstance(v, ast.Constant) and v.value for v in node.values)
    ):
        return f"an 'or' with a true constant ({ast.unparse(node)})"
    return None


def test_no_trivially_true_claims(nb):
    path, book = nb
    tree = ast.parse(_code(book))
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "attr", getattr(call.func, "id", None)) == "check_claim":
            keywords = {k.arg: k.value for k in call.keywords}
            if "value" in keywords:  # quantitative: a constant value, or a value that is its own bound, cannot fail
                value = keywords["value"]
                bounds = [keywords[b] for b in ("above", "below") if b in keywords]
                assert bounds, f"{path.name} line {call.lineno}: a value= claim without above= or below="
                why = f"a constant value {ast.unparse(value)}" if isinstance(value, ast.Constant) else None
                why = why or next((f"its own bound ({ast.unparse(value)})" for b in bounds if ast.dump(b) == ast.dump(value)), None)
            else:
                holds = call.args[1] if len(call.args) > 1 else keywords.get("holds")
                assert holds is not None, f"{path.name} line {call.lineno}: check_claim without 'holds' or 'value'"
                why = _trivial(holds)
            assert why is None, f"{path.name}: the claim at code line {call.lineno} is checked against {why}"


def test_trivial_claim_detector_catches_the_usual_forms():
    for src in (
        "cu.check_claim('x', True, {})",
        "check_claim('x', a == a)",
        "cu.check_claim('x', 1 < 2)",
        "cu.check_claim('x', holds=ok or True)",
    ):
        call = ast.parse(src).body[0].value
        holds = call.args[1] if len(call.args) > 1 else call.keywords[0].value
        assert _trivial(holds), src
    assert _trivial(ast.parse("a < 0.8 * b").body[0].value) is None


def test_references_to_other_notebooks_point_to_notebooks_that_exist(nb):
    path, book = nb
    numbers = {p.name[:2] for p in NOTEBOOKS}
    text = "\n".join(c.source for c in book.cells)
    refs = set(re.findall(r"[Nn]otebooks? (\d\d)\b", text)) | set(re.findall(r"[Nn]otebooks \d\d(?:, \d\d)*,? (?:and|or) (\d\d)", text))
    refs |= {n for group in re.findall(r"[Nn]otebooks ((?:\d\d, )+\d\d)", text) for n in group.split(", ")}
    missing = sorted(refs - numbers)
    assert not missing, f"{path.name} refers to notebook(s) {missing}, which do not exist yet: write them or change the reference"


def test_papermill_sees_every_parameter(nb):
    """papermill parses `NAME: type = value  # comment` only for simple types and comments without '='."""
    from papermill.inspection import inspect_notebook

    path, book = nb
    cell = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    assigned = set(re.findall(r"^([A-Za-z_]\w*)\s*[:=]", cell.source, re.M))
    missing = assigned - set(inspect_notebook(str(path)))
    assert not missing, f"{path.name}: papermill cannot parse {sorted(missing)} (no `int | None` annotations, no '=' in comments)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_full_mode_setup_runs_on_the_bundled_subset(path, tmp_path, monkeypatch):
    """The cells up to the setup cell, in full mode, offline, with an empty data directory: the sizes a
    notebook derives must fit the 10,000 bundled training images a user without internet has."""
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    params = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    monkeypatch.setenv("COURSE_QUICK", "0")
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(path.parent)
    from course_utils import mnist

    monkeypatch.setattr(mnist, "_CACHE", {})
    namespace: dict = {"__name__": "__main__"}
    for cell in code[: params + 2]:
        source = "\n".join(("# " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.source.splitlines())
        exec(compile(source, f"{path.name}:setup", "exec"), namespace)
    assert namespace["QUICK"] is False
    import matplotlib.pyplot as plt

    plt.close("all")


def test_slide_metadata_gives_a_slide_per_section(nb):
    """`make slides` turns each section into a slide: `python scripts/add_slide_metadata.py` sets the metadata."""
    path, book = nb

    def kind(cell):
        return cell.metadata.get("slideshow", {}).get("slide_type")

    sections = [c for c in book.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("## ")]
    assert sections and all(kind(c) == "slide" for c in sections), f"{path.name}: run `python scripts/add_slide_metadata.py`"
    assert kind(book.cells[0]) == "slide" and any(kind(c) == "fragment" for c in book.cells), f"{path.name}: no build-up fragments"
