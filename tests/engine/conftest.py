import pytest

from obclip.engine import load_model, load_pair

TINY = "embedded:tiny-random"


@pytest.fixture(scope="session")
def tiny_large():
    return load_model(TINY)


@pytest.fixture(scope="session")
def tiny_pair():
    return load_pair(TINY)
