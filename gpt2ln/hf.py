"""Hugging Face GPT-2 weights in our ``GPT2``: the names match, a few matrices are transposed.

OpenAI's checkpoint (and so ``transformers``' ``GPT2LMHeadModel``) stores the attention and
MLP projections as ``Conv1D`` modules whose weight is (in_features, out_features): the
transpose of ``nn.Linear``'s (out_features, in_features). Everything else copies as is.
"""

import torch

from .config import GPTConfig
from .model import GPT2

# Parameters stored as Conv1D in the checkpoint: transpose them into nn.Linear.
CONV1D_WEIGHTS = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Buffers some versions of transformers keep in the state dict (old causal-mask tensors).
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def load_hf_state_dict(model: GPT2, state_dict: dict) -> GPT2:
    """Copy a Hugging Face ``GPT2LMHeadModel`` (or ``GPT2Model``) state dict into ``model``.

    Raises a ``KeyError`` naming every parameter that is missing or unexpected, and a
    ``ValueError`` naming the first shape mismatch, so a misnamed module is found at once.
    """
    ours = model.state_dict()
    converted = {}
    for key, value in state_dict.items():
        name = key.removeprefix("transformer.")
        if name.endswith(IGNORED_SUFFIXES):
            continue
        if name.endswith(CONV1D_WEIGHTS):
            value = value.t()
        converted[name] = value
    if "lm_head.weight" not in converted:  # a bare GPT2Model: the head is tied to wte
        converted["lm_head.weight"] = converted["wte.weight"]

    missing = sorted(set(ours) - set(converted))
    unexpected = sorted(set(converted) - set(ours))
    if missing or unexpected:
        raise KeyError(f"state dict does not match GPT2: missing {missing}, unexpected {unexpected}")
    for name, value in converted.items():
        if ours[name].shape != value.shape:
            raise ValueError(f"{name}: checkpoint has shape {tuple(value.shape)}, model has {tuple(ours[name].shape)}")
    with torch.no_grad():
        for name, value in converted.items():
            ours[name].copy_(value)  # state_dict() tensors share storage with the parameters
    return model


def config_from_hf(hf_config) -> GPTConfig:
    """Our ``GPTConfig`` from a ``transformers.GPT2Config`` (dropout off: inference)."""
    return GPTConfig(
        vocab_size=hf_config.vocab_size,
        n_positions=hf_config.n_positions,
        n_embd=hf_config.n_embd,
        n_layer=hf_config.n_layer,
        n_head=hf_config.n_head,
        dropout=0.0,
        layer_norm_epsilon=hf_config.layer_norm_epsilon,
    )


def from_hf_model(hf_model, fast: bool = False) -> GPT2:
    """Build a ``GPT2`` with the same config and weights as a ``GPT2LMHeadModel`` instance."""
    if getattr(hf_model.config, "activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ValueError("GPT2 uses the tanh GELU; this checkpoint uses " + hf_model.config.activation_function)
    model = GPT2(config_from_hf(hf_model.config), norm="pre", fast=fast)
    return load_hf_state_dict(model, hf_model.state_dict()).eval()


def from_pretrained(name: str = "gpt2", fast: bool = False) -> GPT2:
    """Download a released GPT-2 through ``transformers`` and load it into ``GPT2``.

    Needs the Hugging Face Hub (online). Offline, the same path is exercised by
    ``from_hf_model`` on a randomly initialised ``GPT2LMHeadModel`` (see the tests).
    """
    from transformers import GPT2LMHeadModel

    try:
        hf_model = GPT2LMHeadModel.from_pretrained(name)
    except OSError as err:
        raise OSError(
            f"could not download {name!r} from the Hugging Face Hub ({err}). "
            "Pretrained weights need the internet; offline, build a random "
            "transformers.GPT2LMHeadModel and use gpt2ln.hf.from_hf_model instead."
        ) from err
    return from_hf_model(hf_model, fast=fast)
