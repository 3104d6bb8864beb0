"""Shared fixtures of the world tests: the shipped model directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from obclip.models import model_dir


@pytest.fixture(scope="session")
def large_dir() -> Path:
    return model_dir("portrait-large")


@pytest.fixture(scope="session")
def small_dir() -> Path:
    return model_dir("portrait-small")
