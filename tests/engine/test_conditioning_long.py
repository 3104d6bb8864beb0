"""Long and weighted prompts on both halves: chunked conditioning against compel (the reference for
unweighted chunking, padding and SDXL's pooled output), weights against AUTOMATIC1111's algorithm
written out step by step, and the hand-off of a long weighted request."""

from __future__ import annotations

import pytest
import torch
from compel import Compel, ReturnedEmbeddingsType
from compel.embeddings_provider import SplitLongTextMode

from obclip.engine import CloudEngine, DenoiseSpec, DenoiseState, DeviceEngine, check_response, denoise, load_model
from obclip.engine.cloud import initial_noise
from obclip.engine.conditioning import cfg_scale, request_chunks, unet_conditioning
from obclip.engine.schedulers import make_scheduler, start_at
from obclip.eval.reference import relative_error

# No commas (compel's brutal split and AUTOMATIC1111's comma rule then agree) and no compel syntax.
WORDS = "portrait of an old man with dark skin wearing round glasses and a grey wool coat in a quiet library "


def long_prompt(text, tokens: int) -> str:
    """A prompt of at least `tokens` tokens for `text`'s tokenizer."""
    prompt = WORDS
    while text.token_count(prompt) < tokens:
        prompt += WORDS
    return prompt.strip()


@pytest.fixture(scope="module")
def sd1():
    return load_model("embedded:tiny-random")  # character-level tokenizer, a 256-token window


@pytest.fixture(scope="module")
def portrait():
    return load_model("embedded:default")  # a CLIP BPE vocabulary and SD's 77-token window


@pytest.fixture(scope="module")
def sdxl():
    return load_model("embedded:tiny-sdxl-random")


def sd1_compel(text) -> Compel:
    return Compel(
        tokenizer=text.tokenizer,
        text_encoder=text.text_encoder,
        truncate_long_prompts=False,
        split_long_text_mode=SplitLongTextMode.BRUTAL,
    )


@pytest.mark.parametrize("model", ["sd1", "portrait"])
def test_long_prompt_equals_compel(model, request):
    text = request.getfixturevalue(model).text
    prompt = long_prompt(text, 300)
    got = text.encode([prompt]).encoder_hidden_states
    with torch.no_grad():
        want = sd1_compel(text)(prompt)
    chunks = -(-text.token_count(prompt) // text.chunk_length)
    assert got.shape == want.shape == (1, chunks * text.max_tokens, text.hidden_size) and chunks >= 2
    assert relative_error(got, want) <= 1e-5


def test_shorter_rows_are_padded_with_empty_chunks_as_compel_pads(portrait):
    text = portrait.text
    prompts = [long_prompt(text, 160), "a young woman", ""]
    got = text.encode(prompts).encoder_hidden_states
    compel = sd1_compel(text)
    with torch.no_grad():
        want = torch.cat(compel.pad_conditioning_tensors_to_same_length([compel(p) for p in prompts]))
    assert got.shape == want.shape == (3, 3 * 77, text.hidden_size)
    assert relative_error(got, want) <= 1e-5


def test_sdxl_long_prompt_and_pooled_equal_compel(sdxl):
    text = sdxl.text
    prompt = long_prompt(text, 300)
    got = text.encode([prompt], size=(64, 64))
    compel = Compel(
        tokenizer=list(text.tokenizers),
        text_encoder=list(text.text_encoders),
        returned_embeddings_type=ReturnedEmbeddingsType.PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED,
        requires_pooled=[False, True],
        truncate_long_prompts=False,
        split_long_text_mode=SplitLongTextMode.BRUTAL,
    )
    with torch.no_grad():
        want, pooled = compel(prompt)
    assert got.encoder_hidden_states.shape == want.shape == (1, 2 * text.max_tokens, 32 + 48)
    assert relative_error(got.encoder_hidden_states, want) <= 1e-5
    assert relative_error(got.added_cond_kwargs["text_embeds"], pooled) <= 1e-5  # the first chunk's


def automatic1111(text, fragments: list[tuple[str, float] | None]) -> torch.Tensor:
    """AUTOMATIC1111's documented emphasis for one prompt, step by step: tokens of each fragment carry
    its weight; BREAK (None) or 75 tokens end a chunk; each chunk is start + tokens + end + padding;
    the encoder's states are multiplied by the weights, then rescaled to their mean before."""
    tokenizer, window = text.tokenizer, text.max_tokens
    chunks, current = [], []
    for fragment in fragments:
        if fragment is None:
            chunks.append(current)
            current = []
            continue
        for token in tokenizer(fragment[0], add_special_tokens=False)["input_ids"]:
            if len(current) == window - 2:
                chunks.append(current)
                current = []
            current.append((token, fragment[1]))
    chunks.append(current)
    states = []
    for chunk in chunks:
        pad = window - 2 - len(chunk)
        ids = [tokenizer.bos_token_id, *(t for t, _ in chunk), tokenizer.eos_token_id] + [tokenizer.pad_token_id] * pad
        weights = torch.tensor([1.0, *(w for _, w in chunk), 1.0] + [1.0] * pad)
        with torch.no_grad():
            z = text.text_encoder(torch.tensor([ids]))[0]
        weighted = z * weights[None, :, None]
        states.append(weighted * (z.mean() / weighted.mean()))
    return torch.cat(states, dim=1)


def test_weights_follow_automatic1111(portrait):
    text = portrait.text
    filler = long_prompt(text, 90)
    prompt = f"a photo of (an old woman:1.3) with [red] ((curly)) hair {filler} BREAK blue background"
    want = automatic1111(
        text,
        [
            ("a photo of ", 1.0),
            ("an old woman", 1.3),
            (" with ", 1.0),
            ("red", 1 / 1.1),
            (" ", 1.0),
            ("curly", 1.21),
            (f" hair {filler}", 1.0),
            None,
            ("blue background", 1.0),
        ],
    )
    got = text.encode([prompt]).encoder_hidden_states
    assert got.shape == want.shape == (1, 3 * 77, text.hidden_size)
    assert relative_error(got, want) <= 1e-5
    plain = text.encode([prompt.replace("(", "").replace(")", "").replace(":1.3", "")]).encoder_hidden_states
    assert relative_error(got, plain) > 1e-3  # the weights change the conditioning


def test_a_zero_mean_encoder_is_only_scaled(sd1):
    """The random test encoder's last layer norm has zero bias: every chunk's mean is ~0 and restoring
    it would divide by noise; its states are scaled by the weights and stay finite."""
    text = sd1.text
    got = text.encode(["a (red:1.5) car"]).encoder_hidden_states
    plain = text.encode(["a red car"]).encoder_hidden_states
    weights = torch.ones(256)
    weights[2:5] = 1.5  # "r", "e", "d</w>", after the start token and "a</w>"
    torch.testing.assert_close(got, plain * weights[None, :, None], rtol=1e-6, atol=1e-6)


def test_a_rows_weights_do_not_depend_on_its_neighbours(sd1):
    """The mean is restored per prompt (AUTOMATIC1111 takes it over the batch), so a row encoded with
    other prompts equals the row encoded alone: the device encodes its prompt alone."""
    text = sd1.text
    prompts = ["(an old woman:1.4) reading", "[a young man] (running)", "a child"]
    together = text.encode(prompts).encoder_hidden_states
    for row, prompt in enumerate(prompts):
        assert relative_error(together[row : row + 1], text.encode([prompt]).encoder_hidden_states) <= 1e-6


def uninterrupted(model, spec: DenoiseSpec) -> torch.Tensor:
    """All T steps on all candidates in one loop call."""
    scheduler = make_scheduler(spec.scheduler, model.schedule, spec.steps)
    start_at(scheduler, 0)
    side = model.default_size // model.vae_scale_factor
    noise = initial_noise(spec.seed, model.latent_channels, side, side) * scheduler.init_noise_sigma
    size = (model.default_size, model.default_size)
    conditioning = unet_conditioning(
        model.text, model.unet, spec.candidates, guidance=spec.guidance, size=size, negative=spec.negative_prompt
    )
    return denoise(
        model.unet,
        scheduler,
        noise.repeat(spec.num_candidates, 1, 1, 1),
        conditioning,
        start=0,
        stop=spec.steps,
        guidance=cfg_scale(model.unet, spec.guidance),
    )


def split(model, spec: DenoiseSpec, row: int, *, padded: bool = True) -> torch.Tensor:
    wire = DenoiseState.from_bytes(CloudEngine(model).run(spec).to_bytes())
    check_response(wire, spec, model)
    chunks = request_chunks(model.text, spec.candidates, spec.negative_prompt) if padded else None
    own = wire.select(row)
    return DeviceEngine(model).finish(
        own, spec.candidates[row], guidance=spec.guidance, negative_prompt=spec.negative_prompt, chunks=chunks
    )


def weighted_long(text) -> str:
    return f"(an old woman:1.3) [smiling] {long_prompt(text, 300)} BREAK ((soft light))"


@pytest.mark.parametrize("model", ["sd1", "sdxl"])
@pytest.mark.parametrize("switch_step", [0, 3, 8])
def test_long_weighted_handoff_equals_uninterrupted_run(model, switch_step, request):
    bundle = request.getfixturevalue(model)
    prompt = weighted_long(bundle.text)
    spec = DenoiseSpec((prompt,), steps=8, switch_step=switch_step, scheduler="dpmsolver++", guidance=5.0, seed=3)
    assert bundle.text.chunk_count([prompt]) >= 3
    assert relative_error(split(bundle, spec, 0), uninterrupted(bundle, spec)) <= 1e-5


@pytest.mark.parametrize("model", ["sd1", "sdxl"])
def test_candidates_of_different_lengths_hand_off_with_the_requests_chunk_count(model, request):
    """The cloud pads every row to the longest candidate; the device pads its own row the same way.
    Without that padding the device's conditioning differs and so does the image."""
    bundle = request.getfixturevalue(model)
    long = weighted_long(bundle.text)
    candidates = ("(a young man:1.2) by a window", long, long.replace("old woman", "young woman"))
    spec = DenoiseSpec(candidates, steps=8, switch_step=3, guidance=5.0, seed=4, negative_prompt="blurry, (lowres)")
    reference = uninterrupted(bundle, spec)
    # batch of 3 (cloud, reference) against batch of 1 (device): CPU kernels' batch variance, ~1e-5
    assert relative_error(split(bundle, spec, 0), reference[0:1]) <= 1e-4
    assert relative_error(split(bundle, spec, 2), reference[2:3]) <= 1e-4
    assert relative_error(split(bundle, spec, 0, padded=False), reference[0:1]) > 1e-3
