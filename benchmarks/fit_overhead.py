"""``course_utils.fit`` against a bare hand-written loop: same model, data, optimizer and steps, in one run.

    .venv/bin/python benchmarks/fit_overhead.py [--epochs 1] [--repeats 15] [--json build/bench/fit_overhead.json]

``fit`` records each step's loss (one ``.item()``) and learning rate, keeps the outputs to score the epoch's training
accuracy at its end, and checks for a non-finite loss; the bare loop
does only zero_grad, forward, backward, step. The two alternate, ``--repeats`` times each, and the medians are
compared, so that a change in the machine's load hits both. Target: ``fit`` at most 5% slower.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from _common import parser, write_json
from torch import nn

import course_utils as cu


def model_and_opt(seed: int):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def bare(batches, epochs: int, seed: int) -> float:
    model, opt = model_and_opt(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in batches:
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return time.perf_counter() - start


def with_fit(batches, epochs: int, seed: int) -> float:
    model, opt = model_and_opt(seed)
    start = time.perf_counter()
    cu.fit(model, opt, F.cross_entropy, batches, epochs=epochs, progress=False)
    return time.perf_counter() - start


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--n", type=int, default=20_000, help="training images used (fewer: faster, noisier)")
    args = p.parse_args()
    x, y = cu.mnist_tensors(train=True, verbose=False)
    n = min(args.n, len(y))
    batches = cu.TensorBatches(x[:n], y[:n], batch_size=args.batch_size, seed=0)
    steps = len(batches) * args.epochs
    print(f"MLP 784-128-10, {n:,} images, batch {args.batch_size}, {steps} steps per run, {torch.get_num_threads()} threads")
    bare(batches, 1, 0)  # warm-up: allocator, first-call costs
    times = {"bare loop": [], "cu.fit": []}
    for r in range(args.repeats):
        times["bare loop"].append(bare(batches, args.epochs, r))
        times["cu.fit"].append(with_fit(batches, args.epochs, r))
    print(f"{'loop':<12} {'median s':>9} {'min s':>8} {'max s':>8} {'us/step':>9}")
    med = {}
    for name, ts in times.items():
        med[name] = statistics.median(ts)
        print(f"{name:<12} {med[name]:>9.3f} {min(ts):>8.3f} {max(ts):>8.3f} {med[name] / steps * 1e6:>9.0f}")
    ratio = med["cu.fit"] / med["bare loop"]
    figures = {
        "fit_over_bare": round(ratio, 4),
        "bare_us_per_step": round(med["bare loop"] / steps * 1e6, 1),
        "fit_us_per_step": round(med["cu.fit"] / steps * 1e6, 1),
    }
    write_json(
        args.json,
        "fit_overhead",
        figures,
        {"fit_over_bare": "ratio", "bare_us_per_step": "us", "fit_us_per_step": "us"},
        {"steps": steps, "repeats": args.repeats},
    )
    verdict = "meets" if ratio <= 1.05 else "MISSES"
    print(
        f"SUMMARY fit_overhead: cu.fit takes {ratio:.3f}x the bare loop's time ({(ratio - 1) * 100:+.1f}%; {verdict} the at-most-5% target)"
    )


if __name__ == "__main__":
    main()
