"""Build reveal.js slide decks of the notebooks under build/slides/, working offline.

    python scripts/build_slides.py [notebooks/NN_name.ipynb ...]

Each deck is one notebook: a slide per section (``##``), sub-slides for sub-sections and
fragments for the build-up, as the notebooks' ``slideshow`` metadata says. Decks are made from
executed notebooks when there are some (build/executed/ from `make course`, else
build/test-executed/ from `make test`), so that figures appear; otherwise from the stored
notebooks, without outputs. reveal.js and MathJax are copied next to the decks from build/vendor/
(`make vendor`), so a deck opens from the file system with no internet.
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "slides"
VENDOR = ROOT / "build" / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "site_template"
MATHJAX_FILE = "tex-svg-full.js"


def source_for(path: Path) -> tuple[Path, str]:
    for folder, what in (
        (ROOT / "build" / "executed", "executed by make course"),
        (ROOT / "build" / "test-executed", "executed by make test"),
    ):
        if (folder / path.name).is_file():
            return folder / path.name, what
    return path, "stored notebook, no outputs (run make course for figures)"


def main(argv: list[str]) -> int:
    if not (VENDOR / "reveal.js" / "dist" / "reveal.js").is_file() or not (VENDOR / "mathjax" / "es5" / MATHJAX_FILE).is_file():
        sys.exit(f"reveal.js or MathJax is missing from {VENDOR}: run `make vendor` (it fetches them once with npm)")
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copytree(VENDOR / "reveal.js", OUT / "reveal.js", dirs_exist_ok=True)
    (OUT / "mathjax").mkdir(exist_ok=True)
    shutil.copy2(VENDOR / "mathjax" / "es5" / MATHJAX_FILE, OUT / "mathjax" / MATHJAX_FILE)
    exporter = SlidesExporter(
        template_name="course_slides",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",  # its fonts ship with reveal.js; "simple" (the default) imports Google Fonts
        mathjax_url=f"mathjax/{MATHJAX_FILE}",
    )
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for path in paths:
        source, what = source_for(path)
        nb = nbformat.read(source, as_version=4)
        n_slides = sum(c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in nb.cells)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        (OUT / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
        rows.append(f'<li><a href="{path.stem}.slides.html">{html.escape(path.stem)}</a> ({n_slides} slides; {html.escape(what)})</li>')
        print(f"{OUT.relative_to(ROOT)}/{path.stem}.slides.html: {n_slides} slides from the {what}")
    (OUT / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'><title>Slides</title></head><body>"
        "<h1>Training neural networks well with PyTorch: slides</h1><p>Arrow keys move; <kbd>s</kbd> opens the speaker view.</p>"
        f"<ul>{''.join(rows)}</ul></body></html>\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
