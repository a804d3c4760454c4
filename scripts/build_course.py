"""Execute every notebook with papermill and render it to HTML under build/, with an index page.

    python scripts/build_course.py            # full mode (the real results; slow on CPU)
    COURSE_QUICK=1 python scripts/build_course.py   # quick mode

Writes build/executed/<name>.ipynb, build/html/<name>.html and build/html/index.html.
"""

from __future__ import annotations

import html
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]


def header(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """Title (first '# ' heading) and estimated time (the 'Estimated time:' line) of a notebook."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")), "(untitled)")
    match = re.search(r"Estimated time:?\**:?\s*(.+)", first)
    return title, (match.group(1).strip() if match else "not stated")


def main() -> int:
    executed, out = ROOT / "build" / "executed", ROOT / "build" / "html"
    executed.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    quick = os.environ.get("COURSE_QUICK", "") == "1"
    rows, failed = [], []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        start = time.perf_counter()
        target = executed / path.name
        try:
            pm.execute_notebook(
                str(path), str(target), parameters={"QUICK": quick}, cwd=str(path.parent), progress_bar=False, kernel_name="python3"
            )
            status = f"ran in {time.perf_counter() - start:.0f} s"
        except pm.PapermillExecutionError as err:
            failed.append(path.name)
            status = f"FAILED: {err.ename}"
        nb = nbformat.read(target, as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
        (out / f"{path.stem}.html").write_text(body, encoding="utf-8")
        title, minutes = header(nb)
        rows.append((path.stem, title, minutes, status))
        print(f"{path.name}: {status}", flush=True)
    items = "\n".join(
        f'<tr><td><a href="{stem}.html">{html.escape(title)}</a></td><td>{html.escape(minutes)}</td><td>{html.escape(status)}</td></tr>'
        for stem, title, minutes, status in rows
    )
    mode = "quick mode" if quick else "full mode"
    (out / "index.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Training neural networks well with PyTorch</title></head><body>"
        f"<h1>Training neural networks well with PyTorch</h1><p>Notebooks in order, executed in {mode}.</p>"
        "<table border='1' cellpadding='4'><tr><th>Notebook</th><th>Estimated time</th><th>This build</th></tr>\n"
        f"{items}\n</table></body></html>\n",
        encoding="utf-8",
    )
    print(f"Wrote {out / 'index.html'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
