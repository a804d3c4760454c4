"""The reference answers that the notebooks fall back on while an exercise is unsolved (course_utils.references),
each on simple cases whose answer is known."""

import math

import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils import references


def _mlp(seed: int, batch_norm: bool = False) -> nn.Sequential:
    torch.manual_seed(seed)
    middle = [nn.BatchNorm1d(8)] if batch_norm else []
    return nn.Sequential(nn.Linear(3, 8), *middle, nn.LeakyReLU(0.2), nn.Linear(8, 1))


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
def test_discriminator_step_matches_two_passes_and_leaves_no_gradient_in_g(batch_norm):
    G, D, D_copy = nn.Linear(2, 3), _mlp(0, batch_norm), _mlp(0, batch_norm)
    real, z = torch.randn(16, 3), torch.randn(16, 2)
    fake = G(z)  # attached to G's graph
    for p in D.parameters():  # stale gradients: the step must clear them
        p.grad = torch.full_like(p, 5.0)
    loss = references.discriminator_step(D, torch.optim.SGD(D.parameters(), lr=0.1), real, fake)
    assert isinstance(loss, float)
    assert all(p.grad is None for p in G.parameters()), "the D step gave G a gradient"
    with torch.no_grad():
        fake_ref = G(z)
    # two forward passes, one per batch (what batch norm needs), from the softplus form of L_D
    expected = nn.functional.softplus(-D_copy(real)).mean() + nn.functional.softplus(D_copy(fake_ref)).mean()
    grads = torch.autograd.grad(expected, list(D_copy.parameters()))
    assert loss == pytest.approx(expected.item(), rel=1e-6)
    for p, p_ref, g in zip(D.parameters(), D_copy.parameters(), grads):
        torch.testing.assert_close(p, p_ref - 0.1 * g)
    D(fake).sum().backward()  # the generator step on the same fakes still runs and reaches G
    assert all(p.grad is not None for p in G.parameters())


def test_discriminator_step_of_a_perfectly_unsure_discriminator_is_2_log_2():
    D = nn.Linear(3, 1)
    nn.init.zeros_(D.weight)
    nn.init.zeros_(D.bias)  # every logit 0: each BCE term is log 2
    loss = references.discriminator_step(D, torch.optim.SGD(D.parameters(), lr=0.0), torch.randn(4, 3), torch.randn(4, 3))
    assert loss == pytest.approx(2 * math.log(2))


def test_gradient_penalty_of_a_linear_critic_is_squared_norm_gap():
    torch.manual_seed(0)
    critic = nn.Linear(5, 1)
    real, fake = torch.randn(32, 5), torch.randn(32, 5) + 2
    gp = references.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    w = critic.weight.detach()
    torch.testing.assert_close(gp, (w.norm() - 1) ** 2)
    gp.backward()  # differentiable with respect to the critic's weights: d GP / d w = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(critic.weight.grad, 2 * (w.norm() - 1) * w / w.norm())


def test_gradient_penalty_takes_one_norm_per_image():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4, 1, bias=False))
    real, fake = torch.rand(8, 1, 4, 4), torch.rand(8, 1, 4, 4)
    gp = references.gradient_penalty(critic, real, fake)
    torch.testing.assert_close(gp, (critic[1].weight.detach().norm() - 1) ** 2)


def test_gradient_penalty_of_a_unit_slope_critic_is_zero_and_it_follows_the_inputs_dtype():
    critic = nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.6, 0.8]]))  # ||w|| = 1
    real, fake = torch.randn(10, 2, dtype=torch.float64), torch.randn(10, 2, dtype=torch.float64)
    gp = references.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    assert gp.dtype == torch.float64 and gp.item() == pytest.approx(0.0, abs=1e-12)
    critic_bf16 = nn.Linear(2, 1, bias=False).to(torch.bfloat16)  # a float32 eps would make float32 interpolates here
    assert references.gradient_penalty(critic_bf16, real.bfloat16(), fake.bfloat16()).dtype == torch.bfloat16


def test_gradient_penalty_refuses_batches_of_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        references.gradient_penalty(nn.Linear(2, 1), torch.zeros(4, 2), torch.zeros(3, 2))


def test_modes_and_quality_on_points_at_the_centres():
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]])
    assert references.modes_and_quality(centres.repeat(25, 1), centres, 0.1) == (4, 1.0)
    far = torch.full((50, 2), 1.5)  # 1.5 * sqrt(2) from every centre: 21 std
    assert references.modes_and_quality(far, centres, 0.1) == (0, 0.0)


def test_modes_and_quality_counts_a_mode_at_exactly_one_percent_of_all_points():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = torch.cat([centres[0].repeat(98, 1), centres[1].repeat(1, 1), torch.tensor([[0.0, 10.29]])])  # the last at 2.9 std
    covered, quality = references.modes_and_quality(points, centres, 0.1)
    assert covered == 3 and quality == pytest.approx(1.0)
    covered, quality = references.modes_and_quality(points + torch.tensor([0.0, 0.02]), centres, 0.1)  # the last now at 3.1 std
    assert covered == 2 and quality == pytest.approx(0.99)


FD_CASES = [(0, 1, 0, 1, 0.0), (0, 1, 0.5, 1, 0.25), (0, 1, 0, 2, 1.0), (1, 0.3, -2, 1.7, 9 + 1.96)]


@pytest.mark.parametrize(("m1", "s1", "m2", "s2", "expected"), FD_CASES)
def test_fd_1d_known_values_and_the_library_distance(m1, s1, m2, s2, expected):
    assert references.fd_1d(m1, s1, m2, s2) == pytest.approx(expected)
    stats = [
        cu.FeatureStats(torch.tensor([m], dtype=torch.float64), torch.tensor([[s * s]], dtype=torch.float64), 2)
        for m, s in [(m1, s1), (m2, s2)]
    ]
    assert references.fd_1d(m1, s1, m2, s2) == pytest.approx(cu.frechet_distance(*stats), abs=1e-9)


def test_the_package_exposes_the_references():
    assert cu.references.gradient_penalty is references.gradient_penalty
