"""Execute notebooks in quick mode (as the tests do) and store only the regression-cell outputs.

    python scripts/refresh_notebooks.py notebooks/00_training_loop.ipynb [...]

Regression cells are tagged ``keep_output`` and ``nbval-check-output``: their
outputs are what nbval compares in ``make test``. Every other output, execution
count and volatile metadata is stripped (the same result as ``nbstripout``).
Prints each notebook's quick-mode wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
REGRESSION_TAGS = {"keep_output", "nbval-check-output"}


def quick_env(threads: int | None = 1) -> None:
    """The test harness's settings: quick, offline, bundled data, headless (and one thread per kernel)."""
    os.environ.update(COURSE_QUICK="1", COURSE_OFFLINE="1", COURSE_DATA_DIR=str(ROOT / "build" / "test-data"), MPLBACKEND="Agg")
    if threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))


def execute(path: Path) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in its folder; return it with its outputs and the wall time."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb, time.perf_counter() - start


def refresh(path: Path) -> float:
    nb, seconds = execute(path)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        if "nbval-check-output" in tags and not REGRESSION_TAGS <= tags:
            raise ValueError(f"{path}: a cell tagged nbval-check-output must also be tagged keep_output")
        if not REGRESSION_TAGS <= tags:
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("jupytext", None)
    nbformat.write(nb, path)
    # --keep-count: nbval only compares cells that carry an execution count.
    subprocess.run([sys.executable, "-m", "nbstripout", "--keep-count", str(path)], check=True)
    return seconds


def main() -> None:
    quick_env()  # as under `make test`
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{refresh(path):6.1f} s  {path} (quick mode)", flush=True)


if __name__ == "__main__":
    main()
