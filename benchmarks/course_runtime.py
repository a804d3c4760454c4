"""Every notebook in quick mode, one at a time as a student would run them: seconds each and in total.

    .venv/bin/python benchmarks/course_runtime.py [notebooks/NN_name.ipynb ...] [--json build/bench/course_runtime.json]

The notebooks run as the test suite runs them (quick, offline, the bundled data, headless), but with every core
(one notebook at a time). Nothing is written back to the notebooks. Target: all of them in under 10 minutes in total
on two cores. This replaces ``scripts/benchmark.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import ROOT, parser, write_json

sys.path.insert(0, str(ROOT / "scripts"))
from refresh_notebooks import execute, quick_env  # noqa: E402


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    args = p.parse_args()
    quick_env(threads=None)  # all cores: one notebook at a time
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    seconds = {}
    print(f"{'notebook':<40} {'seconds':>8}")
    for path in paths:
        _, s = execute(path)
        seconds[path.name] = round(s, 1)
        print(f"{path.name:<40} {s:>8.1f}{'  <-- over 45 s' if s > 45 else ''}", flush=True)
    total = sum(seconds.values())
    slowest = max(seconds, key=seconds.get)
    print(f"{'total':<40} {total:>8.1f}")
    figures = {"total_seconds": round(total, 1), "max_notebook_seconds": seconds[slowest], "notebooks": len(seconds)}
    write_json(
        args.json,
        "course_runtime",
        figures,
        {"total_seconds": "s", "max_notebook_seconds": "s", "notebooks": "count"},
        {"per_notebook_seconds": seconds, "slowest": slowest},
    )
    every = len(seconds) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    verdict = ("meets" if total < 600 else "MISSES") if every else "a partial run: not comparable with"
    print(
        f"SUMMARY course_runtime: {len(seconds)} notebook(s) in quick mode took {total:.0f} s in total "
        f"(slowest {slowest}, {seconds[slowest]:.0f} s; {verdict} the 10-minute target)"
    )


if __name__ == "__main__":
    main()
