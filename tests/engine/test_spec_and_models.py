"""Bad requests and bad model pairs are refused with the project's own errors."""

import pytest

from obclip.engine import DenoiseSpec, load_device_model, load_model
from obclip.engine.embedded import build_tiny_random_small
from obclip.engine.models import ModelBundle, check_compatible
from obclip.errors import IncompatibleModelsError, InvalidInputError, ModelNotFoundError


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": ()}, "no candidate"),
        ({"candidates": ("a", "")}, "non-empty"),
        ({"candidates": ("a", "a")}, "distinct"),
        ({"steps": 0}, "steps"),
        ({"switch_step": 26}, "switch step"),
        ({"switch_step": -1}, "switch step"),
        ({"scheduler": "plms"}, "unknown scheduler"),
        ({"guidance": float("nan")}, "guidance"),
        ({"height": 100}, "multiple of 8"),
        ({"width": 0}, "width"),
        ({"seed": -1}, "seed"),
        ({"steps": True}, "integer"),
    ],
)
def test_invalid_specs(kwargs, message):
    args = {"candidates": ("a woman", "a man"), **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        DenoiseSpec(**args)


@pytest.mark.parametrize("spec", ["embedded:nope", "not a model", "/no/such/dir", "org/model-not-cached"])
def test_unknown_models(spec):
    with pytest.raises(ModelNotFoundError):
        load_model(spec)


def test_prompt_past_the_chunk_limit_is_refused_not_truncated(tiny_large):
    text = tiny_large.text
    text.check_fits("word " * 100)  # two chunks of the tiny encoder's 254: encoded, not refused
    assert text.chunk_count(["word " * 100]) == 2
    with pytest.raises(InvalidInputError, match=r"2800 tokens: 12 chunks of 254; obclip reads at most 10 chunks"):
        text.check_fits("word " * 700)


def test_incompatible_pair_is_refused(tiny_large):
    parts = build_tiny_random_small()
    unet_config = dict(parts.unet.config)
    narrow = {**unet_config, "cross_attention_dim": 16}
    with pytest.raises(IncompatibleModelsError, match="cross-attention"):
        check_compatible(tiny_large, tiny_large.unet.config, _Config(narrow), None, None)
    other_vae = {**dict(parts.vae.config), "latent_channels": 16}
    with pytest.raises(IncompatibleModelsError, match="VAE latent_channels"):
        check_compatible(tiny_large, tiny_large.unet.config, _Config(unet_config), other_vae, None)
    check_compatible(tiny_large, tiny_large.unet.config, _Config(unet_config), dict(parts.vae.config), None)


def test_device_model_borrows_text_encoder_and_vae(tiny_large):
    device = load_device_model("embedded:tiny-random")
    assert isinstance(device, ModelBundle)
    assert device.model_id == "embedded:tiny-random-small"
    assert device.vae is tiny_large.vae
    assert device.unet.config.mid_block_type is None


class _Config(dict):
    """A UNet config stand-in with attribute access, like diffusers' FrozenDict."""

    __getattr__ = dict.__getitem__


def test_the_model_registry_imports_without_torch():
    """`obclip models`, the CLI's defaults and a model's taxonomy read the registry without torch."""
    import subprocess
    import sys

    code = (
        "import sys; from obclip.engine import embedded; "
        "entry = embedded.lookup(embedded.DEFAULT_LARGE); entry.taxonomy_path(); entry.path(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_exports_resolve_lazily():
    import obclip.engine as engine

    assert sorted(engine.__all__) == sorted(engine._MODULE_OF)
    assert all(getattr(engine, name) is not None for name in engine.__all__)
    with pytest.raises(AttributeError):
        _ = engine.no_such_name


@pytest.mark.parametrize(
    ("shared", "message"),
    [
        ("not json", "not a valid"),
        ('{"format": "other", "partner": "../large", "components": ["vae"]}', "format"),
        ('{"format": "obclip-shared/1", "partner": "../nowhere", "components": ["vae"]}', "lacks vae"),
    ],
)
def test_a_broken_shared_components_file_is_a_model_error(tmp_path, shared, message):
    import shutil

    from obclip.engine.models import SHARED_FILE
    from obclip.models import model_dir

    small = tmp_path / "small"
    shutil.copytree(model_dir("portrait-small") / "unet", small / "unet")
    (small / SHARED_FILE).write_text(shared)
    with pytest.raises(ModelNotFoundError, match=message):
        load_device_model("embedded:portrait-large", str(small))
