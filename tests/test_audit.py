"""scripts/audit_claims.py: the claim key, the per-claim summary and the quoted-figures check."""

import importlib.util
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
spec = importlib.util.spec_from_file_location("audit_claims", ROOT / "scripts" / "audit_claims.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_claims_are_keyed_by_text_with_numbers_masked():
    assert audit.key("09", "after 20 steps the gap is 0.41") == audit.key("09", "after 3 steps the gap is 1e-3")
    assert audit.key("09", "a") != audit.key("10", "a")


def test_summary_counts_seeds_and_margins():
    rows = [
        {"claim": "c", "notebook": "n", "kind": "quantitative", "held": True, "margin": 2.0, "value": 4.0, "above": 2.0},
        {"claim": "c", "notebook": "n", "kind": "quantitative", "held": False, "margin": 0.5, "value": 1.0, "above": 2.0},
    ]
    s = audit.summarize(rows, 3)
    assert (s["held"], s["seen"], s["seeds"], s["worst_margin"], s["median_margin"]) == (1, 2, 3, 0.5, 1.25)
    assert (s["value_min"], s["value_max"], s["threshold"]["above"]) == (1.0, 4.0, 2.0)


def test_quoted_figures_are_found_in_the_cell_before_the_note():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("stream", text="CLAIM HOLDS: gap\n  evidence: gap=0.07512, steps=20\n")]
    nb.cells = [code, nbformat.v4.new_markdown_cell("*Full mode: gap 0.075 after 20 steps, 3.6x faster.*")]
    figures = {q["figure"]: q["printed"] for q in audit.quoted_figures(nb)}
    assert figures == {"0.075": True, "20": True, "3.6": False}


def test_notes_in_each_of_the_notebooks_forms_are_read():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("stream", text="best 62.5 from 298\n")]
    for note in (
        "**Full mode** (2,500 steps, seed 0): the distance fell from 298 to 62.5, then 61.0.",
        "In full mode (5 datasets) the distance fell from 298 to 62.5, then 61.0.\n\nA second paragraph: 7.",
        "*Full mode: the distance fell from 298 to 62.5, then 61.0.*",
        "In full mode the distance fell from 298 (first seed) to 62.5, then 61.0.",  # a later parenthesis is not the setup
        "**What we found (full mode, 3 seeds).** The distance fell from 298 to 62.5, then 61.0.",
    ):
        nb.cells = [code, nbformat.v4.new_markdown_cell(note)]
        figures = {q["figure"]: q["printed"] for q in audit.quoted_figures(nb)}
        assert figures == {"298": True, "62.5": True, "61.0": False}, note
