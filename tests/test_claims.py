"""Every claim states its quantity and threshold (``value=`` with ``above=``/``below=``), or is marked
``qualitative=`` with the reason; a bare ``holds`` is "unmeasured". The notebooks still carry unmeasured
claims from before the quantitative form existed: tests/claims_debt.json holds their number per
notebook, and this test fails when a notebook has more (a new unmeasured claim) or fewer (lower the
number in the file: the debt only goes down)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DEBT = json.loads((ROOT / "tests" / "claims_debt.json").read_text())


def claim_kinds(path: Path) -> dict[str, int]:
    """How many ``cu.check_claim`` calls of each kind the notebook's code holds."""
    kinds = {"quantitative": 0, "qualitative": 0, "unmeasured": 0}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check_claim":
                names = {k.arg for k in node.keywords}
                if "value" in names and names & {"above", "below"}:
                    kinds["quantitative"] += 1
                elif "qualitative" in names:
                    kinds["qualitative"] += 1
                else:
                    kinds["unmeasured"] += 1
    return kinds


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_unmeasured_claims_only_go_down(path):
    kinds = claim_kinds(path)
    allowed = DEBT.get(path.stem, 0)
    assert sum(kinds.values()) > 0, f"{path.name} checks no claim"
    assert kinds["unmeasured"] <= allowed, (
        f"{path.name}: {kinds['unmeasured']} claims without a threshold (allowed {allowed}): give each value= and above=/below=, "
        "or qualitative='why it is not a quantity'"
    )
    assert kinds["unmeasured"] >= allowed, (
        f"{path.name}: only {kinds['unmeasured']} unmeasured claims now: lower its number in tests/claims_debt.json"
    )


def test_the_debt_names_only_notebooks_that_exist():
    assert set(DEBT) <= {p.stem for p in NOTEBOOKS}
