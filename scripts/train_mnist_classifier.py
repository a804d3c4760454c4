"""Train the course's MNIST classifier (``course_utils.sample_quality.MnistClassifier``, the light
CNN of notebook 07) and ship its weights in ``course_utils/bundled/``.

    python scripts/train_mnist_classifier.py            # full MNIST from the data directory
    python scripts/train_mnist_classifier.py --dry-run  # train and report, write nothing

The weights are the feature network of the sample-quality metric of notebooks 09 and 10 (a
Fréchet distance in its 64-d penultimate layer). The recipe is the course's:
- in-memory tensors and random shifts of up to 2 pixels as augmentation (notebooks 00, 06);
- batch norm after every convolution (notebook 05);
- SGD with Nesterov momentum and weight decay on the convolution and linear weights only (02, 06);
- a one-cycle learning-rate schedule stepped per batch (03).
Every choice (the peak learning rate from ``--lrs``) is made on a validation split carved from
the training images; the test set is scored once, at the end, for the chosen model.
It writes ``mnist_classifier.pt`` (the state dict), ``mnist_classifier.json`` (what it is and
how well it does) and their SHA-256 sums into ``MANIFEST.json``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import course_utils as cu  # noqa: E402
from course_utils.bundle import BUNDLED_DIR  # noqa: E402
from course_utils.sample_quality import INFO_FILE, WEIGHTS_FILE, MnistClassifier  # noqa: E402


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by a random integer offset in [-max_shift, max_shift] in x and y (zeros enter)."""
    n = len(x)
    padded = F.pad(x, (max_shift,) * 4)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28))[:, :, None].expand(n, 28, 28)
    cols = (dx[:, None] + torch.arange(28))[:, None, :].expand(n, 28, 28)
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)


def train_one(x, y, x_val, y_val, *, lr: float, epochs: int, batch_size: int, seed: int) -> tuple[MnistClassifier, list[float]]:
    cu.seed_everything(seed)
    model = MnistClassifier()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=lr, momentum=0.9, nesterov=True
    )
    batches = cu.TensorBatches(x, y, batch_size=batch_size, shuffle=True, drop_last=True, seed=seed)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(batches), pct_start=0.25)
    gen = torch.Generator().manual_seed(seed)
    val_accs = []
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        for xb, yb in batches:
            loss = F.cross_entropy(model(random_shift(xb, 2, gen)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        val_accs.append(cu.accuracy(model, x_val, y_val))
        print(f"  lr {lr:g} epoch {epoch + 1}/{epochs}: val accuracy {val_accs[-1]:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
    return model, val_accs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lrs", default="0.05,0.2", help="peak learning rates to choose from on the validation split")
    parser.add_argument("--val", type=int, default=5000, help="validation images carved from the training set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", default="full", choices=cu.mnist.MNIST_SOURCES)
    parser.add_argument("--dry-run", action="store_true", help="train and report, but write nothing")
    args = parser.parse_args()

    x_all, y_all = cu.mnist_tensors(train=True, source=args.source)
    perm = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(args.seed))
    val_idx, train_idx = perm[: args.val], perm[args.val :]
    x, y, x_val, y_val = x_all[train_idx], y_all[train_idx], x_all[val_idx], y_all[val_idx]
    print(f"train {len(y):,} / validation {len(y_val):,} images; {sum(p.numel() for p in MnistClassifier().parameters()):,} parameters")

    start = time.perf_counter()
    runs = {}
    for lr in [float(v) for v in args.lrs.split(",")]:
        runs[lr] = train_one(x, y, x_val, y_val, lr=lr, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    best_lr = max(runs, key=lambda lr: runs[lr][1][-1])
    model = copy.deepcopy(runs[best_lr][0]).eval()
    seconds = time.perf_counter() - start

    x_test, y_test = cu.mnist_tensors(train=False, source=args.source)  # touched once, for the chosen model
    test_acc = cu.accuracy(model, x_test, y_test)
    info = {
        "architecture": "course_utils.sample_quality.MnistClassifier",
        "parameters": sum(p.numel() for p in model.parameters()),
        "data": f"MNIST {len(y_all):,} training images ({len(y):,} train / {len(y_val):,} validation), {len(y_test):,} test",
        "recipe": f"SGD Nesterov momentum 0.9, weight decay 5e-4 on weights, one-cycle to the peak lr, batch {args.batch_size}, "
        f"{args.epochs} epochs, random shifts of up to 2 px",
        "peak_lr_grid": {f"{lr:g}": round(r[1][-1], 4) for lr, r in runs.items()},
        "chosen_peak_lr": best_lr,
        "val_accuracy": round(runs[best_lr][1][-1], 4),
        "test_accuracy": round(test_acc, 4),
        "train_seconds": round(seconds),
        "torch": torch.__version__,
        "seed": args.seed,
    }
    print(json.dumps(info, indent=2))
    if args.dry_run:
        return
    buffer = io.BytesIO()
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, buffer)
    (BUNDLED_DIR / WEIGHTS_FILE).write_bytes(buffer.getvalue())
    (BUNDLED_DIR / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
    manifest_path = BUNDLED_DIR / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text())
    for name in (WEIGHTS_FILE, INFO_FILE):
        manifest[name] = hashlib.sha256((BUNDLED_DIR / name).read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    print(f"wrote {BUNDLED_DIR / WEIGHTS_FILE} ({(BUNDLED_DIR / WEIGHTS_FILE).stat().st_size / 1024:.0f} KB) and updated MANIFEST.json")


if __name__ == "__main__":
    main()
