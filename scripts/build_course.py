"""Build the course website: execute every notebook with papermill and render it to HTML under
build/html/, with an index page in course order, a claims ledger, and everything served locally
(MathJax from the site's own _static/ folder, no CDN), so that the site works offline.

    python scripts/build_course.py                      # full mode (the real results; slow on CPU)
    COURSE_QUICK=1 python scripts/build_course.py       # quick mode
    python scripts/build_course.py --executed build/test-executed   # render notebooks already executed
                                                                    # (make test leaves them there)

Writes build/executed/<name>.ipynb (when it executes), build/html/<name>.html, build/html/index.html,
build/html/claims.html and build/html/claims.json (every checked claim: notebook, section, claim,
held or failed, evidence, quick or full mode, seed, device).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters import markdown2html

from course_utils.checks import claim_key

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "site_template"
TITLE = "Training neural networks well with PyTorch"
VENDOR = ROOT / "build" / "vendor"  # MathJax and reveal.js, fetched once by `make vendor` (npm), never from a CDN at view time
MATHJAX_FILE = "tex-svg-full.js"
MATHJAX_URL = f"_static/mathjax/{MATHJAX_FILE}"
_CLAIM = re.compile(r"^CLAIM (HOLDS|FAILED): (.*?)(?:\n  measured: (.*))?(?:\n  qualitative: (.*))?(?:\n  evidence: (.*))?$", re.M)
_MARGIN = re.compile(r"margin ([\d.e+-]+|inf)x")
AUDIT = ROOT / "build" / "claims-audit.json"  # written by scripts/audit_claims.py (make audit-claims)


def header(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """Title (first '# ' heading) and estimated time (the 'Estimated time:' line) of a notebook."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")), "(untitled)")
    match = re.search(r"Estimated time:?\**:?\s*(.+)", first)
    return title, (match.group(1).strip() if match else "not stated")


def objectives(nb: nbformat.NotebookNode) -> list[str]:
    """The bullet points under 'Learning objectives' in the header cell."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    part = first.split("Learning objectives", 1)[1] if "Learning objectives" in first else ""
    bullets = []
    for line in part.splitlines()[1:]:
        if line.lstrip().startswith(("- ", "* ")):
            bullets.append(line.lstrip()[2:].strip())
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1] += " " + line.strip()
        elif bullets and not line.strip():
            break
    return bullets


def _text_outputs(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('evalue', '')}\n")
    return "".join(parts)


def _evidence(text: str) -> dict[str, str] | str:
    pairs = [p.split("=", 1) for p in re.split(r", (?=[^,=]+=)", text)] if text else []
    return {k.strip(): v.strip() for k, v in pairs} if pairs and all(len(p) == 2 for p in pairs) else text


def claims(nb: nbformat.NotebookNode, name: str) -> list[dict]:
    """Every claim checked in an executed notebook, with the section it sits in and the run's settings."""
    records, section, config = [], "", {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = re.findall(r"^##+ (.+)$", cell.source, re.M)
            if headings:
                section = headings[-1].strip()
            continue
        text = _text_outputs(cell)
        if m := re.search(r"Config: QUICK=(\w+) SEED=(\d+)", text):
            config.update(quick=m.group(1) == "True", seed=int(m.group(2)))
        if m := re.search(r"Device: (\S+)", text):
            config["device"] = m.group(1)
        for held, claim, measured, qualitative, evidence in _CLAIM.findall(text):
            m = _MARGIN.search(measured)
            records.append(
                {
                    "notebook": name,
                    "section": section,
                    "claim": claim.strip(),
                    "held": held == "HOLDS",
                    "kind": "quantitative" if measured else "qualitative" if qualitative else "unmeasured",
                    "measured": measured.strip() or qualitative.strip(),
                    "margin": float(m.group(1)) if m else None,
                    "evidence": _evidence((evidence or "").strip()),
                    "mode": {True: "quick", False: "full"}.get(config.get("quick"), "unknown"),
                    "seed": config.get("seed"),
                    "device": config.get("device", "unknown"),
                }
            )
    return records


def _audit() -> dict[str, dict]:
    """The latest claims audit (make audit-claims), by claim key; {} when there is none."""
    if not AUDIT.is_file():
        return {}
    report = json.loads(AUDIT.read_text(encoding="utf-8"))
    return {claim_key(c["notebook"], c["claim"]): c for c in report.get("claims", [])}


def _audit_cells(a: dict | None) -> str:
    """The ledger's audit columns for one claim: held in n of N seeds, worst margin."""
    if not a:
        return "<td></td><td></td>"
    worst = "" if a["worst_margin"] is None else f"{a['worst_margin']:.3g}x"
    return f"<td>{a['held']}/{a['seeds']}</td><td>{worst}</td>"


def _audit_note() -> str:
    if not AUDIT.is_file():
        return ""
    report = json.loads(AUDIT.read_text(encoding="utf-8"))
    seeds = report["seeds"]
    return f"{report['mode']} mode over seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} seeds), build/claims-audit.json"


def _inline_markdown(text: str) -> str:
    """Markdown to HTML without the surrounding paragraph."""
    rendered = markdown2html(text).strip()
    return rendered[3:-4] if rendered.startswith("<p>") and rendered.endswith("</p>") else rendered


def _nav(pages: list[tuple[str, str]], i: int, run_line: str) -> str:
    links = ['<a href="index.html">Contents</a>', '<a href="claims.html">Claims ledger</a>']
    if i > 0:
        links.append(f'<a href="{pages[i - 1][0]}.html">&larr; {html.escape(pages[i - 1][1])}</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{pages[i + 1][0]}.html">{html.escape(pages[i + 1][1])} &rarr;</a>')
    return " ".join(links) + f'<span class="course-run">{html.escape(run_line)}</span>'


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'><title>{html.escape(title)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:6px;vertical-align:top;text-align:left}"
        "th{background:#f3f5f8}.held{color:#1a7f37;font-weight:600}.failed{color:#cf222e;font-weight:600}"
        "ul{margin:0;padding-left:1.2em}.small{color:#57606a;font-size:90%}</style></head><body>"
        f"{body}</body></html>\n"
    )


def execute(paths: list[Path], executed: Path, quick: bool) -> dict[str, str]:
    import papermill as pm

    executed.mkdir(parents=True, exist_ok=True)
    status = {}
    for path in paths:
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(path),
                str(executed / path.name),
                parameters={"QUICK": quick},
                cwd=str(path.parent),
                progress_bar=False,
                kernel_name="python3",
            )
            status[path.stem] = f"ran in {time.perf_counter() - start:.0f} s"
        except pm.PapermillExecutionError as err:
            status[path.stem] = f"FAILED: {err.ename}"
        print(f"{path.name}: {status[path.stem]}", flush=True)
    return status


def render(executed: Path, out: Path, status: dict[str, str]) -> list[dict]:
    """Render executed notebooks into the site under ``out``; return the claims ledger."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    mathjax = VENDOR / "mathjax" / "es5" / MATHJAX_FILE
    if not mathjax.is_file():
        raise SystemExit(f"{mathjax} is missing: run `make vendor` (it fetches MathJax and reveal.js once with npm)")
    (out / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax, out / "_static" / "mathjax" / MATHJAX_FILE)
    books = [(p.stem, nbformat.read(p, as_version=4)) for p in sorted(executed.glob("[0-9][0-9]_*.ipynb"))]
    if not books:
        raise SystemExit(f"no executed notebooks in {executed}: run `make test` or `make course` first")
    pages = [(stem, header(nb)[0]) for stem, nb in books]
    date = dt.date.today().isoformat()
    exporter = HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], mathjax_url=MATHJAX_URL)
    ledger, rows = [], []
    for i, (stem, nb) in enumerate(books):
        records = claims(nb, stem)
        ledger += records
        mode = records[0]["mode"] if records else ("quick" if "QUICK=True" in json.dumps(nb.cells[:8]) else "full")
        run_line = f"executed {date} with torch {torch.__version__}, {mode} mode"
        body, _ = exporter.from_notebook_node(nb, resources={"course_nav": _nav(pages, i, run_line), "metadata": {"name": pages[i][1]}})
        (out / f"{stem}.html").write_text(body, encoding="utf-8")
        title, minutes = header(nb)
        held = sum(r["held"] for r in records)
        goals = "".join(f"<li>{_inline_markdown(o)}</li>" for o in objectives(nb))
        rows.append(
            f'<tr><td><a href="{stem}.html">{html.escape(title)}</a></td><td><ul>{goals}</ul></td>'
            f"<td>{html.escape(minutes)}</td><td>{held} of {len(records)} held<br>"
            f"<span class='small'>{html.escape(status.get(stem, run_line))}</span></td></tr>"
        )
    (out / "index.html").write_text(
        _page(
            TITLE,
            f"<h1>{TITLE}</h1><p>An executable course: every claim is checked by an experiment that runs. "
            f"The notebooks in order, executed {date} with torch {torch.__version__}. "
            f'The <a href="claims.html">claims ledger</a> lists what each notebook asserts and what this build measured.</p>'
            "<table><tr><th>Notebook</th><th>Learning objectives</th><th>Estimated time</th><th>Claims checked in this build</th></tr>"
            + "\n".join(rows)
            + "</table>",
        ),
        encoding="utf-8",
    )
    (out / "claims.json").write_text(json.dumps(ledger, indent=1) + "\n", encoding="utf-8")

    audit = _audit()

    def row(r: dict) -> str:
        evidence = ", ".join(f"{k}={v}" for k, v in r["evidence"].items()) if isinstance(r["evidence"], dict) else r["evidence"]
        outcome = "<td class='held'>held</td>" if r["held"] else "<td class='failed'>FAILED</td>"
        a = audit.get(claim_key(r["notebook"], r["claim"]))
        audited = _audit_cells(a) if audit else ""
        return (
            f"<tr><td><a href='{r['notebook']}.html'>{r['notebook'][:2]}</a></td><td>{html.escape(r['section'])}</td>"
            f"<td>{html.escape(r['claim'])}</td>{outcome}<td>{r['kind']}</td><td>{html.escape(r['measured'])}</td>{audited}"
            f"<td>{html.escape(evidence)}</td><td>{r['mode']}</td><td>{r['seed']}</td><td>{html.escape(str(r['device']))}</td></tr>"
        )

    items = "\n".join(row(r) for r in ledger)
    audit_note = _audit_note()
    n_held = sum(r["held"] for r in ledger)
    (out / "claims.html").write_text(
        _page(
            f"Claims ledger · {TITLE}",
            f'<p><a href="index.html">&larr; Contents</a></p><h1>Claims ledger</h1><p>{len(ledger)} claims checked, {n_held} held, '
            f"{len(ledger) - n_held} failed, in this build ({date}, torch {torch.__version__}). "
            "Also as <a href='claims.json'>claims.json</a>. <em>Margin</em>: how far inside its threshold the measurement sits "
            "(1.0x at the threshold)." + (f" Audit: {audit_note}." if audit else "") + "</p><table><tr><th>#</th><th>Section</th>"
            "<th>Claim</th><th>Outcome</th><th>Kind</th><th>Measured</th>"
            + ("<th>Audit: held</th><th>Audit: worst margin</th>" if audit else "")
            + "<th>Evidence</th><th>Mode</th><th>Seed</th><th>Device</th></tr>"
            + items
            + "</table>",
        ),
        encoding="utf-8",
    )
    print(f"Wrote {len(books)} pages, index.html and a ledger of {len(ledger)} claims ({n_held} held) to {out}")
    return ledger


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, help="render the executed notebooks in this folder instead of running them")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute (default: all)")
    args = parser.parse_args()
    status: dict[str, str] = {}
    executed = args.executed
    if executed is None:
        executed = ROOT / "build" / "executed"
        paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        status = execute(paths, executed, quick=os.environ.get("COURSE_QUICK", "") == "1")
    ledger = render(executed, args.out, status)
    failed = [s for s, v in status.items() if v.startswith("FAILED")]
    return 1 if failed or not all(r["held"] for r in ledger) else 0


if __name__ == "__main__":
    sys.exit(main())
