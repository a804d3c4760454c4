import math

import pytest
import torch
from torch import nn

import course_utils as cu


def _blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) + 3.0 * y[:, None].float()
    return x, y


def test_fit_learns_and_records_history():
    torch.manual_seed(0)
    x, y = _blobs()
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    batches = cu.TensorBatches(x, y, batch_size=32, seed=0)
    h = cu.fit(
        model,
        opt,
        nn.CrossEntropyLoss(),
        batches,
        epochs=4,
        val_batches=batches,
        scheduler=sched,
        progress=False,
        device="cpu",
        track_grad_norm=True,
    )
    assert h.epoch == [0, 1, 2, 3] and len(h.step_loss) == 4 * len(batches)
    assert h.train_loss[-1] < h.train_loss[0] and h.val_acc[-1] > 0.9
    assert h.lr == [0.5, 0.25, 0.125, 0.0625]
    assert h.best("val_acc") == max(h.val_acc) and h.best() == min(h.val_loss)
    assert all(n > 0 for n in h.grad_norm) and len(h.time_s) == 4 and len(h.step_grad_norm) == 4 * len(batches)
    per_step = torch.tensor(h.step_loss[: len(batches)]).double()
    sizes = torch.tensor([len(yb) for _, yb in batches]).double()
    assert h.train_loss[0] == pytest.approx(float((per_step * sizes).sum() / sizes.sum()), rel=1e-12)


def test_fit_records_grad_norms_only_when_asked_or_clipping():
    x, y = _blobs()
    batches = cu.TensorBatches(x, y, batch_size=50, shuffle=False)
    norms = {}
    for track in (False, True):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        h = cu.fit(model, opt, nn.CrossEntropyLoss(), batches, epochs=1, progress=False, track_grad_norm=track)
        norms[track] = h.step_grad_norm
    assert norms[False] == [] and len(norms[True]) == len(batches)
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    grads = []
    for xb, yb in batches:  # the same first step by hand: the recorded norm is the gradient's
        model.zero_grad()
        nn.CrossEntropyLoss()(model(xb), yb).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item())
        break
    assert norms[True][0] == pytest.approx(grads[0], rel=1e-6)
    frozen = cu.fit(model, torch.optim.SGD(model.parameters(), lr=0.0), nn.CrossEntropyLoss(), batches, epochs=1, progress=False)
    assert frozen.train_acc[0] == pytest.approx(cu.accuracy(model, x, y), abs=1e-6)  # a model that does not move


def test_fit_per_batch_scheduler_and_clipping():
    x, y = _blobs()

    def run(clip):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        start = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (s + 1))
        batches = cu.TensorBatches(x, y, batch_size=50, shuffle=False)
        h = cu.fit(
            model,
            opt,
            nn.CrossEntropyLoss(),
            batches,
            epochs=1,
            scheduler=sched,
            scheduler_per="batch",
            clip_grad_norm=clip,
            progress=False,
        )
        moved = (torch.cat([p.detach().flatten() for p in model.parameters()]) - start).norm().item()
        return h, moved

    h, moved = run(1e-3)
    assert h.step_lr == [1.0, 0.5, 1 / 3, 0.25]
    assert not h.val_loss and not math.isnan(h.train_acc[0])
    # Each SGD step moves the weights by at most lr_t * max_norm, so four steps move them at most sum(lr_t) * 1e-3.
    assert moved <= sum(h.step_lr) * 1e-3 * (1 + 1e-6)
    assert min(h.step_grad_norm) > 1e-3  # the history records the norm before clipping
    _, moved_unclipped = run(None)
    assert moved_unclipped > 50 * moved


def test_fit_regression_has_nan_accuracy():
    x = torch.randn(64, 3)
    model = nn.Linear(3, 1)
    h = cu.fit(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        nn.MSELoss(),
        cu.TensorBatches(x, x.sum(1, keepdim=True), batch_size=16),
        epochs=2,
        val_batches=cu.TensorBatches(x, x.sum(1, keepdim=True), batch_size=16),
        progress=False,
    )
    assert math.isnan(h.train_acc[0]) and math.isnan(h.val_acc[0])


def test_fit_stops_on_non_finite_loss():
    model = nn.Linear(1, 1)
    x = torch.tensor([[math.inf]])
    with pytest.raises(FloatingPointError, match="training loss at epoch 0, step 0"):
        cu.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), [(x, x)], epochs=1, progress=False)


def test_fit_argument_errors():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        cu.fit(model, opt, nn.MSELoss(), [], epochs=0)
    with pytest.raises(ValueError, match="scheduler_per"):
        cu.fit(model, opt, nn.MSELoss(), [], epochs=1, scheduler_per="step")
    with pytest.raises(ValueError, match="no batches"):
        cu.fit(model, opt, nn.MSELoss(), [], epochs=1, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        cu.evaluate(model, [], nn.MSELoss())
    with pytest.raises(ValueError, match="patience"):
        cu.EarlyStopping(patience=0)


def test_early_stopping_on_a_scripted_curve():
    model = nn.Linear(1, 1, bias=False)
    stopper = cu.EarlyStopping(patience=2)
    curve = [1.0, 0.8, 0.7, 0.75, 0.72, 0.6]
    stopped_at = None
    for epoch, value in enumerate(curve):
        model.weight.data.fill_(epoch)
        if stopper.step(value, model):
            stopped_at = epoch
            break
    assert stopped_at == 4 and stopper.best_epoch == 2 and stopper.best == 0.7
    stopper.on_train_end(model)
    assert model.weight.item() == 2.0


def test_early_stopping_max_mode_and_min_delta():
    stopper = cu.EarlyStopping(patience=1, monitor="val_acc", min_delta=0.05)
    assert not stopper.step(0.5) and stopper.step(0.52)  # +0.02 is below min_delta
    assert stopper.best == 0.5


def test_early_stopping_inside_fit_restores_best():
    torch.manual_seed(0)
    x, y = _blobs(seed=1)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    stopper = cu.EarlyStopping(patience=3)
    batches = cu.TensorBatches(x, y, batch_size=50, shuffle=False)
    flipped = cu.TensorBatches(x, 1 - y, batch_size=200)  # validation gets worse as training improves
    h = cu.fit(model, opt, nn.CrossEntropyLoss(), batches, epochs=50, val_batches=flipped, callbacks=[stopper], progress=False)
    assert h.stopped_early and len(h.epoch) == 4 and stopper.best_epoch == 0
    restored_loss, _ = cu.evaluate(model, flipped, nn.CrossEntropyLoss())
    assert restored_loss == pytest.approx(min(h.val_loss), rel=1e-5)
    with pytest.raises(ValueError, match="pass val_batches"):
        cu.fit(model, opt, nn.CrossEntropyLoss(), batches, epochs=1, callbacks=[cu.EarlyStopping()], progress=False)


def test_fit_scores_validation_with_its_own_loss():
    x, y = _blobs()
    model = nn.Linear(2, 2)
    smoothed, plain = nn.CrossEntropyLoss(label_smoothing=0.3), nn.CrossEntropyLoss()
    batches = cu.TensorBatches(x, y, batch_size=50, shuffle=False)
    h = cu.fit(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        smoothed,
        batches,
        epochs=1,
        val_batches=batches,
        val_loss_fn=plain,
        progress=False,
    )
    assert h.val_loss[0] == pytest.approx(cu.evaluate(model, batches, plain)[0])
    assert h.val_loss[0] != pytest.approx(cu.evaluate(model, batches, smoothed)[0])


def test_accuracy_restores_the_mode():
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    expected = (model.eval()(x).argmax(1) == y).sum().item() / len(y)
    model.train()
    assert cu.accuracy(model, x, y) == expected and model.training
    model.eval()
    cu.accuracy(model, x, y)
    assert not model.training


def test_accuracy_is_exact_for_a_count():
    class Fixed(nn.Module):  # predicts class 1 for the first 1900 of 2000 samples
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.stack([x[:, 0] >= 1900, x[:, 0] < 1900], 1).float()

    x, y = torch.arange(2000.0)[:, None], torch.ones(2000, dtype=torch.long)
    assert cu.accuracy(Fixed(), x, y) == 0.95  # a float32 mean gives 0.94999999


def test_early_stopping_checks_its_arguments_when_built():
    with pytest.raises(ValueError, match="cannot monitor 'val_los'.*did you mean 'val_loss'"):
        cu.EarlyStopping(monitor="val_los")
    for bad in (1.5, True, "3"):
        with pytest.raises(ValueError, match="patience must be an int >= 1"):
            cu.EarlyStopping(patience=bad)
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="min_delta must be a finite number >= 0"):
            cu.EarlyStopping(min_delta=bad)
    assert cu.EarlyStopping(monitor="train_acc", patience=2, min_delta=0).mode == "max"


def test_fit_refuses_one_shot_batches_before_training():
    x, y = _blobs()
    model = nn.Linear(2, 2)
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    one_shot = ((x[i : i + 50], y[i : i + 50]) for i in range(0, 200, 50))
    with pytest.raises(TypeError, match="train_batches is a one-shot iterator \\(generator\\).*re-iterable"):
        cu.fit(model, opt, nn.CrossEntropyLoss(), one_shot, epochs=2, progress=False)
    with pytest.raises(TypeError, match="val_batches is a one-shot iterator"):
        cu.fit(model, opt, nn.CrossEntropyLoss(), [(x, y)], epochs=2, val_batches=iter([(x, y)]), progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step
    h = cu.fit(model, opt, nn.CrossEntropyLoss(), one_shot, epochs=1, progress=False)  # one pass is all a generator gives
    assert len(h.step_loss) == 4

    class Once:  # re-iterable in form, empty after the first pass
        def __init__(self):
            self.done = False

        def __iter__(self):
            if not self.done:
                self.done = True
                yield x, y

    with pytest.raises(ValueError, match="no batches in epoch 1 \\(it gave batches before\\): it must give them again"):
        cu.fit(model, opt, nn.CrossEntropyLoss(), Once(), epochs=2, progress=False)
    with pytest.raises(ValueError, match="epochs must be an int >= 1, got 1.5"):
        cu.fit(model, opt, nn.CrossEntropyLoss(), [(x, y)], epochs=1.5, progress=False)


def test_early_stopping_refuses_a_nan_metric():
    stop = cu.EarlyStopping(monitor="val_acc", patience=2)
    with pytest.raises(FloatingPointError, match="val_acc is NaN at epoch 0"):
        stop.step(float("nan"))
