"""Give every notebook the slide metadata a lecture needs (idempotent; run after adding sections).

    python scripts/add_slide_metadata.py [notebooks/NN_name.ipynb ...]

The title cell and each ``##`` section start a slide, each ``###`` sub-section a sub-slide (below
its section, in reveal.js's vertical stack), and a code cell right after an explanation appears
as a fragment, so that the build-up comes one step at a time. A cell whose ``slide_type`` was set
by hand to something else (``skip``, ``notes``) keeps it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
AUTOMATIC = {None, "-", "slide", "subslide", "fragment"}


def slide_type(cells, i: int) -> str:
    cell = cells[i]
    first_line = cell.source.lstrip().split("\n", 1)[0]
    if i == 0 or (cell.cell_type == "markdown" and first_line.startswith("## ")):
        return "slide"
    if cell.cell_type == "markdown" and first_line.startswith("### "):
        return "subslide"
    if cell.cell_type == "code" and cells[i - 1].cell_type == "markdown":
        return "fragment"
    return "-"


def main(argv: list[str]) -> None:
    for path in [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        changed = 0
        for i, cell in enumerate(nb.cells):
            current = cell.metadata.get("slideshow", {}).get("slide_type")
            if current not in AUTOMATIC:
                continue
            wanted = slide_type(nb.cells, i)
            if current != wanted:
                cell.metadata["slideshow"] = {"slide_type": wanted}
                changed += 1
        if changed:
            nbformat.write(nb, path)
        print(f"{path.name}: {changed} cells updated")


if __name__ == "__main__":
    main(sys.argv[1:])
