"""obclip: oblivious cloud-device hybrid text-to-image generation.

The device expands a prompt into N candidates that differ only in sensitive attributes; the
cloud runs the first k denoising steps of a large model on all of them; the device keeps its
own latent and finishes it with a small model.
"""

__version__ = "0.1.0"
