"""Reference answers to notebook exercises, which the notebooks fall back on while an exercise is unsolved.

An exercise's check cell tries the student's function; when it fails, the check cell puts the function of the
same name from here in its place (and says so), so that the cells after it still run. Each function is the
reference answer of one exercise of notebook 09 (GAN training), written as the notebook's solution is:

- ``discriminator_step``: exercise 2, one update of a GAN's discriminator;
- ``gradient_penalty``: exercise 3, the WGAN-GP penalty;
- ``modes_and_quality``: exercise 4, modes covered and the share of high-quality samples;
- ``fd_1d``: exercise 1, the Fréchet distance of two 1-D Gaussians.

The checks refuse these functions while the student's own answer runs (``checks.from_scratch``): an exercise
cannot be answered by calling its reference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def discriminator_step(D: nn.Module, opt_d: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor) -> float:
    """Reference answer (notebook 09, exercise 2): one update of ``D`` with label 1 for ``real`` and 0 for ``fake``.

    The loss is the mean BCE from logits over the real batch plus that over the fake batch, with two forward
    passes, one per batch (with batch norm in ``D`` each batch is normalized on its own). ``fake`` may still be
    attached to the generator's graph: the loss stops at the fakes (``detach``), so no gradient reaches the
    generator and its graph stays usable for the generator step. Returns the loss as a float.
    """
    logits_real, logits_fake = D(real), D(fake.detach())
    loss = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real)) + F.binary_cross_entropy_with_logits(
        logits_fake, torch.zeros_like(logits_fake)
    )
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    return loss.item()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reference answer (notebook 09, exercise 3): the WGAN-GP penalty ``mean_i (||grad f(x_hat_i)||_2 - 1)^2``.

    ``x_hat_i = eps_i real_i + (1 - eps_i) fake_i`` with one ``eps_i ~ U(0, 1)`` per sample, drawn with
    ``generator`` (on the CPU) and moved to ``real``'s dtype and device. The norm is taken per sample, over all
    non-batch dimensions; the penalty stays differentiable with respect to the critic's parameters
    (``create_graph=True``). Without the factor lambda.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} batches must have the same shape")
    eps = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), generator=generator).to(real)
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def modes_and_quality(points: torch.Tensor, centres: torch.Tensor, std: float) -> tuple[int, float]:
    """Reference answer (notebook 09, exercise 4): ``(modes covered, share of high-quality points)``.

    ``points`` is ``(N, 2)``, ``centres`` ``(K, 2)``. A point is high quality when it lies within ``3 std`` of
    its nearest centre; a mode is covered when at least 1% of all ``N`` points are high-quality points whose
    nearest centre it is.
    """
    nearest_dist, nearest = torch.cdist(points, centres).min(1)
    good = nearest_dist < 3 * std
    counts = torch.bincount(nearest[good], minlength=len(centres))
    return int((counts >= 0.01 * len(points)).sum()), good.float().mean().item()


def fd_1d(m1: float, s1: float, m2: float, s2: float) -> float:
    """Reference answer (notebook 09, exercise 1): the Fréchet distance of ``N(m1, s1^2)`` and ``N(m2, s2^2)``.

    In one dimension ``(s1^2 s2^2)^(1/2) = s1 s2``, so ``(m1 - m2)^2 + s1^2 + s2^2 - 2 s1 s2 = (m1 - m2)^2 + (s1 - s2)^2``
    (standard deviations ``s1, s2 >= 0``).
    """
    return (m1 - m2) ** 2 + (s1 - s2) ** 2
