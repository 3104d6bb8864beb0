"""Fixtures for the acceleration tests."""

from __future__ import annotations

import pytest
import torch
from diffusers import UNet2DConditionModel

from accel.accel_tiny import TINY_UNET_NO_MID, make_unet


@pytest.fixture
def unet() -> UNet2DConditionModel:
    return make_unet()


@pytest.fixture
def unet_no_mid() -> UNet2DConditionModel:
    return make_unet(TINY_UNET_NO_MID)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest on one thread, and the suite shares its CPUs with other work."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
