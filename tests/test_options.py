"""One declaration of the options: the spec, the report, the wire request, the command line, the
app's schema and the image metadata all carry every option from `obclip.options`, with its bounds."""

import dataclasses
import subprocess
import sys

import pytest

import obclip.options as obclip_options
from obclip.options import (
    IMAGE_METADATA_KEYS,
    OPTION_NAMES,
    SCHEDULER_NAMES,
    WIRE_FIELDS,
    GenerationOptions,
    PublicOptions,
    option_fields,
)


def test_every_public_option_is_in_the_spec_the_report_and_the_wire_request():
    from obclip.api import GenerationReport
    from obclip.engine.spec import DenoiseSpec
    from obclip.service.protocol import DenoiseRequest

    for derived in (DenoiseSpec, GenerationReport):
        assert set(WIRE_FIELDS) <= {f.name for f in dataclasses.fields(derived)}, derived
    assert set(DenoiseRequest.model_fields) == {*WIRE_FIELDS, "candidates", "seed", "model", "model_digest"}


def test_the_wire_request_takes_its_bounds_and_requiredness_from_the_options():
    from obclip.service.protocol import DenoiseRequest

    fields = DenoiseRequest.model_fields
    assert fields["steps"].is_required() and fields["scheduler"].is_required()
    assert not fields["negative_prompt"].is_required() and fields["height"].default is None
    schema = DenoiseRequest.model_json_schema()["properties"]
    assert schema["steps"]["minimum"] == 1 and schema["scheduler"]["enum"] == list(SCHEDULER_NAMES)


def test_every_option_with_a_flag_is_a_flag_of_generate_with_its_default():
    from obclip.cli import build_parser

    args = build_parser().parse_args(["generate", "a photo"])
    for f, option in option_fields():
        if option.flag is not None:
            assert getattr(args, f.name) == f.default, f.name
    args = build_parser().parse_args(["generate", "a photo", "--steps", "9", "--negative-prompt", "blurry"])
    assert (args.steps, args.negative_prompt) == (9, "blurry")


def test_every_labelled_option_is_a_setting_of_the_app_with_its_bounds():
    from pydantic import ValidationError

    from obclip.app.jobs import Settings
    from obclip.app.server import LABELS

    for f, option in option_fields():
        if option.label is not None:
            assert f.name in Settings.model_fields and LABELS[f.name] == option.label, f.name
    settings = Settings(prompt="a photo", height=64, policy="keep-cues")
    assert settings.options().public.height == 64 and settings.options().private.policy == "keep-cues"
    with pytest.raises(ValidationError):
        Settings(prompt="a photo", policy="hide-everything")
    with pytest.raises(ValidationError):
        Settings(prompt="a photo", steps=0)
    with pytest.raises(ValidationError):
        Settings(prompt="a photo", scheduler="nope")


def test_the_image_metadata_carries_the_public_options_marked_for_it():
    from obclip.cli._common import image_metadata

    marked = [f.name for f, option in option_fields(PublicOptions) if option.in_image]
    assert set(marked) <= set(IMAGE_METADATA_KEYS) and "negative_prompt" in marked
    assert "prompt" not in IMAGE_METADATA_KEYS and "candidates" not in IMAGE_METADATA_KEYS
    report = {key: 1 for key in IMAGE_METADATA_KEYS} | {"yours": "secret", "candidates": ["x"]}
    assert "secret" not in image_metadata(report)["obclip"]


def test_options_are_built_from_flat_names_and_unknown_names_are_refused():
    options = GenerationOptions.of(steps=8, policy="keep-cues", large="embedded:tiny-random", opt_in="religion")
    assert (options.public.steps, options.private.policy) == (8, "keep-cues")
    assert options.cloud.large == "embedded:tiny-random"
    assert options.private.opt_in == ("religion",)
    assert GenerationOptions.of(**options.flat()) == options and set(options.flat()) == set(OPTION_NAMES)
    with pytest.raises(TypeError):
        GenerationOptions.of(step=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.public.steps = 9  # type: ignore[misc]


def test_the_policy_names_match_the_privacy_package():
    from obclip.privacy.correlate import DEFAULT_POLICY, POLICIES

    assert tuple(POLICIES) == obclip_options.POLICIES and obclip_options.POLICIES[0] == DEFAULT_POLICY


def test_the_scheduler_and_dtype_names_match_the_engine():
    from obclip.cli.generate import DTYPE_NAMES
    from obclip.engine.models import DTYPES
    from obclip.engine.schedulers import SCHEDULERS

    assert tuple(SCHEDULERS) == SCHEDULER_NAMES and tuple(DTYPES) == DTYPE_NAMES


def test_the_options_import_no_torch():
    code = "import sys, obclip.options, obclip.cli.generate; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
