"""Samples per second of three ways to feed MNIST batches, measured in one run so that the ratios hold on a busy machine.

    .venv/bin/python benchmarks/data_pipeline.py [--batch-size 128] [--epochs 2] [--json build/bench/data_pipeline.json]

1. ``DataLoader`` over the torchvision dataset with a per-sample transform (PIL image -> float tensor), as tutorials do;
2. ``DataLoader`` over a ``TensorDataset`` with a ``BatchSampler`` as its sampler (the fair library baseline: one
   indexing call per batch, no per-sample Python);
3. the course's in-memory iterator ``cu.TensorBatches``.

Each pass draws every training image once, shuffled; nothing is trained. Target: the in-memory path at least 20x the
per-sample one.
"""

from __future__ import annotations

import statistics
import time

import torch
from _common import parser, write_json
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset
from torchvision import transforms

import course_utils as cu


def per_sample_loader(batch_size: int):
    ds = cu.load_mnist(train=True, transform=transforms.ToTensor(), verbose=False)
    return DataLoader(ds, batch_size=batch_size, shuffle=True)


def tensor_dataset_loader(x, y, batch_size: int):
    ds = TensorDataset(x, y)
    sampler = BatchSampler(RandomSampler(ds), batch_size=batch_size, drop_last=False)
    # batch_size=None: the sampler yields whole index lists, TensorDataset indexes them in one call.
    return DataLoader(ds, sampler=sampler, batch_size=None)


def samples_per_second(batches, passes: int, max_samples: int | None = None) -> float:
    """Median over passes of samples/s for one pass (or its first ``max_samples`` samples)."""
    rates = []
    for _ in range(passes):
        n, start = 0, time.perf_counter()
        for _xb, yb in batches:
            n += len(yb)
            if max_samples is not None and n >= max_samples:
                break
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--passes", type=int, default=3, help="timed passes of each path (the median is kept)")
    p.add_argument("--per-sample-limit", type=int, default=20_000, help="samples per timed pass of the slow per-sample path")
    args = p.parse_args()
    x, y = cu.mnist_tensors(train=True, verbose=False)
    data = "full" if len(y) >= 60_000 else "bundled"
    print(f"MNIST {data}: {len(y):,} training images, batch {args.batch_size}, {torch.get_num_threads()} threads")
    paths = {
        "DataLoader, per-sample transform": (per_sample_loader(args.batch_size), args.per_sample_limit),
        "DataLoader, TensorDataset + BatchSampler": (tensor_dataset_loader(x, y, args.batch_size), None),
        "TensorBatches (in memory)": (cu.TensorBatches(x, y, batch_size=args.batch_size, seed=0), None),
    }
    rates = {}
    print(f"{'path':<44} {'samples/s':>12} {'x per-sample':>13}")
    for name, (batches, limit) in paths.items():
        rates[name] = samples_per_second(batches, args.passes, limit)
    base = rates["DataLoader, per-sample transform"]
    for name, r in rates.items():
        print(f"{name:<44} {r:>12,.0f} {r / base:>13.1f}")
    mem = rates["TensorBatches (in memory)"]
    figures = {
        "per_sample_samples_per_s": round(base),
        "tensordataset_samples_per_s": round(rates["DataLoader, TensorDataset + BatchSampler"]),
        "in_memory_samples_per_s": round(mem),
        "in_memory_over_per_sample": round(mem / base, 2),
        "in_memory_over_tensordataset": round(mem / rates["DataLoader, TensorDataset + BatchSampler"], 2),
    }
    units = {k: ("samples/s" if k.endswith("per_s") else "ratio") for k in figures}
    write_json(args.json, "data_pipeline", figures, units, {"data": data, "batch_size": args.batch_size})
    verdict = "meets" if figures["in_memory_over_per_sample"] >= 20 else "MISSES"
    print(
        f"SUMMARY data_pipeline: in-memory {mem:,.0f} samples/s = {figures['in_memory_over_per_sample']:.1f}x the per-sample "
        f"DataLoader and {figures['in_memory_over_tensordataset']:.2f}x the TensorDataset loader ({verdict} the 20x target)"
    )


if __name__ == "__main__":
    main()
