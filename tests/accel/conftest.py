"""Fixtures for the acceleration tests."""

from __future__ import annotations

import pytest
from diffusers import UNet2DConditionModel

from accel.accel_tiny import TINY_UNET_NO_MID, make_unet


@pytest.fixture
def unet() -> UNet2DConditionModel:
    return make_unet()


@pytest.fixture
def unet_no_mid() -> UNet2DConditionModel:
    return make_unet(TINY_UNET_NO_MID)
