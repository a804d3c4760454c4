"""Small synthetic data sets: interleaved spirals, and a ring of Gaussians (the GAN mode-collapse benchmark)."""

from __future__ import annotations

import torch

from .bundle import check_size


def make_spirals(
    n: int, n_classes: int = 2, noise: float = 0.2, turns: float = 1.5, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points on ``n_classes`` interleaved spiral arms in 2-D, with Gaussian noise."""
    check_size("n", n)
    check_size("n_classes", n_classes)
    y = torch.arange(n) % n_classes
    t = torch.rand(n, generator=generator)
    r = 0.2 + 2.0 * t
    angle = 2 * torch.pi * (turns * t + y / n_classes)
    x = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
    return x + noise * torch.randn(n, 2, generator=generator), y


def make_gaussian_mixture(
    n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points from ``n_modes`` equal Gaussians on a circle (the GAN mode-collapse benchmark); returns points and mode ids."""
    check_size("n", n)
    check_size("n_modes", n_modes)
    modes = torch.randint(n_modes, (n,), generator=generator)
    angle = 2 * torch.pi * modes / n_modes
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return centres + std * torch.randn(n, 2, generator=generator), modes
