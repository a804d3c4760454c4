"""Run every notebook over several seeds and tabulate each claim: held in n of N seeds, worst margin, spread.

    python scripts/audit_claims.py --seeds 10-19                 # quick mode (make audit-claims)
    python scripts/audit_claims.py --seeds 10-11 --full          # full mode, fewer seeds
    python scripts/audit_claims.py --seeds 10-12 notebooks/09_gan_training.ipynb
    python scripts/audit_claims.py --seeds 1-4 --report build/pilot-09 notebooks/09_gan_training.ipynb  # a pilot

Each run appends its claims to a JSON-lines file (``cu.check_claim`` does, when COURSE_CLAIMS_LOG is
set). A claim is identified by its notebook and its text with the numbers masked (f-strings may put
figures in the text). Writes build/claims-audit.json (every claim's rows and summary) and
build/claims-audit.md (the table), prints a summary per notebook, and exits 1 if any claim failed, or
any run failed, in any seed. The seeds should be ones that were not used to set the thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repeat_notebook import ROOT, course_env, run, seeds  # noqa: E402

from course_utils.checks import claim_key as key  # noqa: E402

OUT = ROOT / "build"


def summarize(rows: list[dict], n_seeds: int) -> dict:
    """Per claim: seeds held / seen, worst and median margin, the value's range, its kind."""
    margins = [r["margin"] for r in rows if r.get("margin") is not None]
    values = [r["value"] for r in rows if r.get("value") is not None]
    return {
        "claim": rows[0]["claim"],
        "notebook": rows[0]["notebook"],
        "kind": rows[0]["kind"],
        "held": sum(r["held"] for r in rows),
        "seen": len(rows),
        "seeds": n_seeds,
        "worst_margin": min(margins) if margins else None,
        "median_margin": statistics.median(margins) if margins else None,
        "value_min": min(values) if values else None,
        "value_max": max(values) if values else None,
        "threshold": {"above": rows[0].get("above"), "below": rows[0].get("below")},
    }


NOTE = re.compile(r"\**(?:Full mode|In full mode|What we found \(full mode)\**", re.IGNORECASE)  # how notes begin
FIGURE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:e-?\d+)?")


def _numbers(text: str) -> list[str]:
    return [m.group(0).replace(",", "") for m in FIGURE.finditer(text)]


def quoted_figures(nb) -> list[dict]:
    """Figures that a notebook's full-mode notes ("*Full mode: ...*", "**Full mode** (...)", "In full mode ...")
    quote, each with whether the code cell before the note printed it (to the digits quoted). Run on a
    full-mode execution with the notebook's default seed:
    a figure the run did not print is one that no check of that cell tests."""
    found = []
    last_output, last_index = "", None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            last_output = "\n".join(o.get("text", "") or "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))
            last_index = i
        elif (match := NOTE.match(cell.source.lstrip())) and last_index is not None:
            note = cell.source.lstrip()[match.end() :].split("\n\n")[0]  # the note's first paragraph
            note = re.sub(r"^[^()]*?\)\**|^\s*\([^)]*\)", "", note, count=1)  # less a leading setup, "(1,000 steps, 3 seeds)"
            printed = {_round(n, d) for n in _numbers(last_output) for d in range(0, 7)}
            for figure in _numbers(note):
                digits = len(figure.split(".")[1].split("e")[0]) if "." in figure else 0
                found.append({"cell": i, "figure": figure, "printed": _round(figure, digits) in printed})
    return found


def _round(number: str, digits: int) -> str:
    try:
        return f"{float(number):.{digits}f}"
    except ValueError:
        return number


def _f(x: float | None) -> str:
    return "" if x is None else f"{x:.3g}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--seeds", default="10-19")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--cell-timeout", type=int, default=900)
    parser.add_argument("--report", type=Path, default=OUT / "claims-audit", help="REPORT.json and REPORT.md; the site reads the default")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    course_env(args.full)
    mode = "full" if args.full else "quick"
    work = OUT / "claims-audit" / mode
    work.mkdir(parents=True, exist_ok=True)
    all_seeds = seeds(args.seeds)
    by_claim: dict[str, list[dict]] = defaultdict(list)
    failures: list[str] = []
    for nb in notebooks:
        for seed in all_seeds:
            log = work / f"{nb.stem}_seed{seed}.jsonl"
            log.unlink(missing_ok=True)
            os.environ["COURSE_CLAIMS_LOG"] = str(log)
            t0 = time.perf_counter()
            error = run(nb, seed, args.full, work / f"{nb.stem}_seed{seed}.ipynb", args.cell_timeout)
            rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
            for r in rows:
                r.update(notebook=nb.stem, seed=seed)
                by_claim[key(nb.stem, r["claim"])].append(r)
            failed = [r["claim"] for r in rows if not r["held"]]
            if error or failed:
                failures.append(f"{nb.stem} seed {seed}: {error or 'claim failed'}" + (f" ({failed[0][:100]})" if failed else ""))
            print(f"{nb.stem} seed {seed}: {len(rows)} claims, {len(failed)} failed, {time.perf_counter() - t0:.0f} s {error}", flush=True)
    os.environ.pop("COURSE_CLAIMS_LOG", None)
    quoted: dict[str, list[dict]] = {}
    if args.full:  # the notes quote the default seed's run: check them on the first seed's execution
        import nbformat

        for nb in notebooks:
            executed = work / f"{nb.stem}_seed{all_seeds[0]}.ipynb"
            if executed.exists():
                quoted[nb.stem] = [q for q in quoted_figures(nbformat.read(executed, as_version=4)) if not q["printed"]]
    summary = [summarize(rows, len(all_seeds)) for rows in by_claim.values()]
    report = {"mode": mode, "seeds": all_seeds, "claims": summary, "failures": failures, "unprinted_figures": quoted}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    lines = [
        f"# Claims audit ({mode} mode, seeds {args.seeds})",
        "",
        "| notebook | claim | kind | held | worst margin | median margin | value range |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['notebook'][:2]} | {s['claim'][:120]} | {s['kind']} | {s['held']}/{s['seeds']} | {_f(s['worst_margin'])} | "
            f"{_f(s['median_margin'])} | {_f(s['value_min'])} - {_f(s['value_max'])} |"
        )
    args.report.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\n{'notebook':34s} claims  quantitative  unmeasured  worst margin  margins > 3")
    for nb in notebooks:
        mine = [s for s in summary if s["notebook"] == nb.stem]
        quant = [s for s in mine if s["kind"] == "quantitative"]
        worst = min((s["worst_margin"] for s in quant if s["worst_margin"] is not None), default=None)
        print(
            f"{nb.stem:34s} {len(mine):6d}  {len(quant):12d}  {sum(s['kind'] == 'unmeasured' for s in mine):10d}  {_f(worst):>12s}  "
            f"{sum(1 for s in quant if (s['median_margin'] or 0) > 3):11d}"
        )
    for name, figures in quoted.items():
        if figures:
            print(
                f"{name}: figures its 'Full mode' notes quote that the run did not print: "
                + ", ".join(f"{q['figure']} (cell {q['cell']})" for q in figures[:12])
                + (" ..." if len(figures) > 12 else "")
            )
    for f in failures:
        print("FAILED:", f)
    print(f"wrote {args.report.with_suffix('.json')} and {args.report.with_suffix('.md')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
