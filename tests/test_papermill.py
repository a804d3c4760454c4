"""Papermill injects parameters into a notebook, and the executed notebook uses them."""

from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def test_papermill_injects_parameters(tmp_path):
    out = tmp_path / "00.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "00_training_loop.ipynb"),
        str(out),
        parameters={"SEED": 1, "N_TRAIN": 3000, "QUICK": True},
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    book = nbformat.read(out, as_version=4)
    injected = [c for c in book.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "SEED = 1" in injected[0].source
    printed = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs)
    assert "Config: QUICK=True SEED=1 N_TRAIN=3000" in printed
    assert "training on 3,000 images" in printed
    assert "CLAIM FAILED" not in printed and printed.count("CLAIM HOLDS") >= 8
