"""A short, readable training loop: ``fit`` and ``evaluate``, a ``History`` of what happened,
and an ``EarlyStopping`` callback that restores the best weights.

Notebook 00 writes this loop out by hand first; later notebooks call ``fit``.
"""

from __future__ import annotations

import copy
import difflib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from .checks import check_finite


@dataclass
class History:
    """Per-epoch and per-step records of a run (lists indexed by epoch or by step).

    ``grad_norm`` and ``step_grad_norm`` stay empty unless ``fit`` clips or is asked to track the norm.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    time_s: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    step_lr: list[float] = field(default_factory=list)
    step_grad_norm: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def best(self, metric: str = "val_loss") -> float:
        values = getattr(self, metric)
        return (max if metric.endswith("acc") else min)(values)


class Callback(Protocol):
    def on_epoch_end(self, history: History, model: nn.Module) -> bool: ...  # True stops training
    def on_train_end(self, model: nn.Module) -> None: ...


class EarlyStopping:
    """Stop when the monitored metric has not improved by ``min_delta`` for ``patience`` epochs,
    then (optionally) restore the weights from the best epoch."""

    MONITORS = ("val_loss", "val_acc", "train_loss", "train_acc")

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss", restore_best: bool = True) -> None:
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"patience must be an int >= 1 (epochs without improvement), got {patience!r}")
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool) or not 0 <= min_delta < math.inf:
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        if monitor not in self.MONITORS:
            close = difflib.get_close_matches(str(monitor), self.MONITORS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"EarlyStopping cannot monitor {monitor!r}: choose one of {', '.join(self.MONITORS)}{hint}")
        self.patience, self.min_delta, self.monitor, self.restore_best = patience, min_delta, monitor, restore_best
        self.mode = "max" if monitor.endswith("acc") else "min"
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_epoch = -1
        self.best_state: dict | None = None
        self.bad_epochs = 0
        self.epochs_seen = 0

    def step(self, value: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's metric; return True when training should stop. A NaN metric is an error."""
        if math.isnan(value):
            raise FloatingPointError(
                f"EarlyStopping: {self.monitor} is NaN at epoch {self.epochs_seen}: the run diverged, or "
                f"{self.monitor!r} is not defined for this model (val_acc needs a classifier)"
            )
        improved = value > self.best + self.min_delta if self.mode == "max" else value < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.bad_epochs = value, self.epochs_seen, 0
            if model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        self.epochs_seen += 1
        return self.bad_epochs >= self.patience

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        values = getattr(history, self.monitor)
        if not values:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, but the history has none (pass val_batches to fit)")
        return self.step(values[-1], model)

    def on_train_end(self, model: nn.Module) -> None:
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


def _is_classification(output: torch.Tensor, target: torch.Tensor) -> bool:
    return output.ndim == 2 and output.shape[1] > 1 and target.ndim == 1 and not target.is_floating_point()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Classification accuracy of ``model`` on tensors, in eval mode (the previous mode is restored).

    Counted, then divided in double precision: 1900 of 2000 is exactly 0.95 (a float32 mean gives
    0.94999999, which fails a ``>= 0.95`` check)."""
    was_training = model.training
    model.eval()
    acc = (model(x).argmax(1) == y).sum().item() / len(y)
    model.train(was_training)
    return acc


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable, loss_fn: Callable, device: torch.device | str | None = None) -> tuple[float, float]:
    """Mean loss and accuracy over ``batches`` in eval mode (accuracy is NaN for non-classification)."""
    was_training = model.training
    model.eval()
    total_loss, total_correct, total_n, has_acc = 0.0, 0.0, 0, True
    for xb, yb in batches:
        if device is not None:
            xb, yb = xb.to(device), yb.to(device)
        out = model(xb)
        n = len(yb)
        total_loss += loss_fn(out, yb).item() * n
        has_acc = has_acc and _is_classification(out, yb)
        total_correct += (out.argmax(1) == yb).sum().item() if has_acc else 0.0
        total_n += n
    model.train(was_training)
    if total_n == 0:
        raise ValueError("evaluate got no batches")
    return total_loss / total_n, (total_correct / total_n if has_acc else math.nan)


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable,
    train_batches: Iterable,
    *,
    epochs: int,
    val_batches: Iterable | None = None,
    val_loss_fn: Callable | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scheduler_per: str = "epoch",
    clip_grad_norm: float | None = None,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    progress: bool = True,
    track_grad_norm: bool = False,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_batches``; return a ``History``.

    ``val_loss_fn`` scores validation (default: ``loss_fn``; pass plain cross-entropy when
    ``loss_fn`` adds a penalty or label smoothing). ``scheduler_per`` is "epoch" or "batch" (when to call ``scheduler.step()``).
    ``clip_grad_norm`` clips the global gradient norm and records the norm before clipping (free: the clip
    computes it); ``track_grad_norm`` records it without clipping (one more reduction per step).
    A non-finite loss stops with ``FloatingPointError``. Gradient norms and outputs stay tensors until the end
    of the epoch, so the loop costs little more than a bare one (``benchmarks/fit_overhead.py``).
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    for name, batches in (("train_batches", train_batches), ("val_batches", val_batches)):
        if epochs > 1 and isinstance(batches, Iterator):  # a generator, iter(...), map(...): empty after one pass
            raise TypeError(
                f"{name} is a one-shot iterator ({type(batches).__name__}): it would give no batches after the first epoch. "
                "Pass re-iterable batches, which can be iterated again: a list, a DataLoader or cu.TensorBatches."
            )
    if scheduler_per not in ("epoch", "batch"):
        raise ValueError(f"scheduler_per must be 'epoch' or 'batch', got {scheduler_per!r}")
    history = History()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
        start = time.perf_counter()
        step_losses, step_norms, step_sizes, outputs, targets, has_acc = [], [], [], [], [], True
        for xb, yb in train_batches:
            if device is not None:
                xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss_value = loss.item()  # one sync per step: the price of stopping at the first non-finite loss
            if not math.isfinite(loss_value):
                check_finite(loss, f"training loss at epoch {epoch}, step {len(history.step_loss) + len(step_losses)}")
            loss.backward()
            if clip_grad_norm is not None:
                step_norms.append(nn.utils.clip_grad_norm_(params, clip_grad_norm))
            elif track_grad_norm:
                step_norms.append(nn.utils.get_total_norm([p.grad for p in params if p.grad is not None]))
            optimizer.step()
            history.step_lr.append(optimizer.param_groups[0]["lr"])
            if scheduler is not None and scheduler_per == "batch":
                scheduler.step()
            has_acc = has_acc and _is_classification(out, yb)
            if has_acc:  # scored once at the end of the epoch: no extra kernel in the step
                outputs.append(out.detach())
                targets.append(yb)
            step_losses.append(loss_value)
            step_sizes.append(len(yb))
        n_batches, n_seen = len(step_losses), sum(step_sizes)
        if n_batches == 0:
            again = f" in epoch {epoch} (it gave batches before): it must give them again on every pass" if epoch else ""
            raise ValueError(f"train_batches yielded no batches{again}")
        history.epoch.append(epoch)
        history.step_loss.extend(step_losses)
        history.train_loss.append(sum(v * n for v, n in zip(step_losses, step_sizes)) / n_seen)
        correct = (torch.cat(outputs).argmax(1) == torch.cat(targets)).sum().item() if has_acc else 0
        history.train_acc.append(correct / n_seen if has_acc else math.nan)
        if step_norms:
            norms = torch.stack(step_norms).tolist()
            history.step_grad_norm.extend(norms)
            history.grad_norm.append(sum(norms) / n_batches)
        history.lr.append(optimizer.param_groups[0]["lr"])
        if scheduler is not None and scheduler_per == "epoch":
            scheduler.step()
        if val_batches is not None:
            val_loss, val_acc = evaluate(model, val_batches, val_loss_fn or loss_fn, device)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        history.time_s.append(time.perf_counter() - start)
        if any([cb.on_epoch_end(history, model) for cb in callbacks]):
            history.stopped_early = True
            break
    for cb in callbacks:
        cb.on_train_end(model)
    return history
