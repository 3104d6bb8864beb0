from __future__ import annotations

import pytest
import torch

from obclip.world import frechet_distance


def test_zero_for_identical_sets_and_closed_form_for_shift() -> None:
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 8, generator=gen)
    assert abs(frechet_distance(a, a)) < 1e-6
    shifted = a + torch.tensor([3.0] + [0.0] * 7)
    assert abs(frechet_distance(a, shifted) - 9.0) < 1e-3


def test_scaled_gaussians() -> None:
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(20000, 4, generator=gen)
    b = 2 * torch.randn(20000, 4, generator=gen)
    # per dimension (1 - 2)^2 = 1 for unit vs doubled std
    assert abs(frechet_distance(a, b) - 4.0) < 0.2


def test_refuses_sets_it_cannot_compare() -> None:
    with pytest.raises(ValueError, match="same D"):
        frechet_distance(torch.zeros(10, 4), torch.zeros(10, 5))
    with pytest.raises(ValueError, match="two samples"):
        frechet_distance(torch.zeros(1, 4), torch.zeros(10, 4))
