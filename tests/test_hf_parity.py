"""Our GPT2 against Hugging Face's GPT2LMHeadModel with the same weights: logits and every gradient.

Compared at the model level: transformers 5 builds the causal mask in GPT2Model, so a bare
GPT2Block would attend to the future and a block-level comparison would be wrong.
"""

import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

from gpt2ln import GPT2, from_hf_model, load_hf_state_dict
from gpt2ln.hf import CONV1D_WEIGHTS, config_from_hf

CONFIGS = {
    "2-layer, 4 heads": dict(n_layer=2, n_embd=64, n_head=4, vocab_size=211, n_positions=64),
    "3-layer, 6 heads": dict(n_layer=3, n_embd=96, n_head=6, vocab_size=503, n_positions=64),
}


def random_hf_model(seed: int, **cfg) -> GPT2LMHeadModel:
    """A randomly initialised GPT-2 of a small config: what the real checkpoint would be, offline."""
    torch.manual_seed(seed)
    config = GPT2Config(**cfg, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # HF initialises LayerNorm to (1, 0) and biases to 0: perturb them so they are tested too
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def loss_of(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


@pytest.mark.parametrize("fast", [False, True], ids=["explicit-attention", "sdpa"])
@pytest.mark.parametrize("T", [1, 17, 64])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_logits_and_gradients_match_transformers(name, T, fast):
    cfg = CONFIGS[name]
    hf = random_hf_model(0, **cfg)
    ours = from_hf_model(hf, fast=fast)
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(cfg["vocab_size"], (2, T), generator=g)
    targets = torch.randint(cfg["vocab_size"], (2, T), generator=g)

    hf_logits, our_logits = hf(idx).logits, ours(idx)
    assert our_logits.shape == (2, T, cfg["vocab_size"])
    torch.testing.assert_close(our_logits, hf_logits, atol=1e-5, rtol=0)

    loss_of(hf_logits, targets).backward()
    loss_of(our_logits, targets).backward()
    our_params = dict(ours.named_parameters())
    for hf_name, hf_param in hf.named_parameters():
        name = hf_name.removeprefix("transformer.")
        if name == "lm_head.weight":
            continue  # tied to wte: the same tensor, its gradient is checked there
        expected = hf_param.grad.t() if name.endswith(CONV1D_WEIGHTS) else hf_param.grad
        torch.testing.assert_close(
            our_params[name].grad, expected, atol=1e-5, rtol=0, msg=lambda m, n=name: f"gradient of {n}: {m}"
        )


def test_every_parameter_is_loaded_and_head_is_tied():
    hf = random_hf_model(3, **CONFIGS["2-layer, 4 heads"])
    ours = from_hf_model(hf)
    assert ours.lm_head.weight is ours.wte.weight
    n_hf = sum(p.numel() for p in hf.parameters())  # HF also counts the tied head once
    assert ours.num_parameters() == n_hf
    torch.testing.assert_close(ours.h[1].attn.c_attn.weight, hf.transformer.h[1].attn.c_attn.weight.t())


def test_wrongly_oriented_conv1d_weights_are_named():
    """A checkpoint whose Conv1D weights are already (out, in) fails loudly, naming the parameter."""
    hf = random_hf_model(0, **CONFIGS["2-layer, 4 heads"])
    sd = {k: (v.t() if k.endswith(CONV1D_WEIGHTS) else v) for k, v in hf.state_dict().items()}
    with pytest.raises(ValueError, match="c_attn.weight"):
        load_hf_state_dict(GPT2(config_from_hf(hf.config)), sd)


def test_missing_and_unexpected_keys_are_named():
    hf = random_hf_model(0, **CONFIGS["2-layer, 4 heads"])
    sd = dict(hf.state_dict())
    sd.pop("transformer.ln_f.weight")
    sd["transformer.h.0.extra.weight"] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"missing \['ln_f.weight'\].*unexpected \['h.0.extra.weight'\]"):
        load_hf_state_dict(GPT2(config_from_hf(hf.config)), sd)


def test_from_pretrained_offline_says_what_to_do(tmp_path):
    """The real path downloads from the Hub; with the Hub unreachable it fails with a clear message.

    Run in a fresh interpreter: huggingface_hub reads HF_HUB_OFFLINE when it is first imported.
    """
    code = "from gpt2ln import GPT2; GPT2.from_pretrained('gpt2')"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode != 0
    assert "could not download 'gpt2'" in out.stderr and "from_hf_model" in out.stderr
