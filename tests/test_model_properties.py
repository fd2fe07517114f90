"""Properties of the reference that the course teaches, each checked numerically."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gpt2ln import GPT2, MLP, CausalSelfAttention, GPTConfig, LayerNorm, PostLNBlock, PreLNBlock, gelu

CFG = GPTConfig(vocab_size=97, n_positions=32, n_embd=48, n_layer=3, n_head=4)


def randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_layernorm_equals_torch_including_tiny_variance_rows():
    ln, ref = LayerNorm(8), nn.LayerNorm(8, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(randn(8, seed=1))
        ln.bias.copy_(randn(8, seed=2))
        ref.weight.copy_(ln.weight)
        ref.bias.copy_(ln.bias)
    ln.double(), ref.double()  # float64: a row of variance << eps is all cancellation in float32
    x = torch.cat([randn(4, 8, dtype=torch.float64), 3.0 + 1e-4 * randn(2, 8, seed=3, dtype=torch.float64)])
    torch.testing.assert_close(ln(x), ref(x))


def test_gelu_is_the_tanh_approximation():
    x = torch.linspace(-6, 6, 1001)
    torch.testing.assert_close(gelu(x), F.gelu(x, approximate="tanh"))
    assert (gelu(x) - F.gelu(x)).abs().max() > 1e-4  # and visibly not the exact erf GELU


def test_mlp_widens_four_times():
    mlp = MLP(CFG)
    assert mlp.c_fc.weight.shape == (4 * CFG.n_embd, CFG.n_embd)
    assert mlp(randn(2, 5, CFG.n_embd)).shape == (2, 5, CFG.n_embd)


def test_explicit_attention_equals_sdpa_path():
    attn = CausalSelfAttention(CFG)
    fast = CausalSelfAttention(CFG, fast=True)
    fast.load_state_dict(attn.state_dict())
    x = randn(3, 11, CFG.n_embd)
    torch.testing.assert_close(fast(x), attn(x))


def test_post_ln_block_matches_its_formula():
    block = PostLNBlock(CFG)
    x = randn(2, 7, CFG.n_embd)
    h = block.ln_1(x + block.attn(x))
    expected = block.ln_2(h + block.mlp(h))
    torch.testing.assert_close(block(x), expected)


def test_pre_ln_block_matches_its_formula():
    block = PreLNBlock(CFG)
    x = randn(2, 7, CFG.n_embd)
    h = x + block.attn(block.ln_1(x))
    torch.testing.assert_close(block(x), h + block.mlp(block.ln_2(h)))


def test_gpt2_norm_selects_the_block_type():
    assert all(type(b) is PreLNBlock for b in GPT2(CFG).h)
    post = GPT2(CFG, norm="post")
    assert all(type(b) is PostLNBlock for b in post.h)
    assert isinstance(post.ln_f, nn.Identity)  # a Post-LN stack already ends in a LayerNorm
    with pytest.raises(ValueError):
        GPT2(CFG, norm="middle")


def zero_residual_projections(block):
    with torch.no_grad():
        for module in (block.attn.c_proj, block.mlp.c_proj):
            module.weight.zero_()
            module.bias.zero_()
    return block


def block_jacobian(block, x):
    """d block(x) / d x for one token sequence, flattened: (T*C, T*C)."""
    return torch.autograd.functional.jacobian(lambda t: block(t[None])[0], x[0]).reshape(x[0].numel(), -1)


def test_pre_ln_block_with_zero_branches_is_exactly_the_identity():
    """The shortcut starts at the block's input x, before ln_1, so with silent branches x passes untouched."""
    block = zero_residual_projections(PreLNBlock(CFG))
    x = randn(1, 5, CFG.n_embd, dtype=torch.float64)
    block.double()
    assert torch.equal(block(x), x)
    assert torch.equal(block_jacobian(block, x), torch.eye(x.numel(), dtype=torch.float64))


def test_post_ln_block_with_zero_branches_is_not_the_identity():
    """In Post-LN the stream itself is normalised: even with silent branches x is rescaled."""
    block = zero_residual_projections(PostLNBlock(CFG)).double()
    x = 3.0 * randn(1, 5, CFG.n_embd, dtype=torch.float64) + 1.0
    assert not torch.allclose(block(x), x, atol=1e-3)
    gap = (block_jacobian(block, x) - torch.eye(x.numel(), dtype=torch.float64)).norm()
    assert gap > 1.0


@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("fast", [False, True])
def test_changing_a_future_token_never_changes_an_earlier_logit(norm, fast):
    model = GPT2(CFG, norm=norm, fast=fast).eval()
    idx = torch.randint(CFG.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    changed = idx.clone()
    changed[:, 8] = (changed[:, 8] + 1) % CFG.vocab_size
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, :8], b[:, :8], atol=0, rtol=0)
    assert not torch.allclose(a[:, 8:], b[:, 8:])


def test_gpt2_initialisation():
    cfg = GPTConfig(vocab_size=1000, n_positions=64, n_embd=256, n_layer=8, n_head=4)
    model = GPT2(cfg)
    assert model.lm_head.weight is model.wte.weight
    assert model.h[0].mlp.c_fc.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert model.wte.weight.std().item() == pytest.approx(0.02, rel=0.05)
    expected = 0.02 / math.sqrt(2 * cfg.n_layer)  # GPT-2 paper, section 2.3
    assert model.h[3].mlp.c_proj.weight.std().item() == pytest.approx(expected, rel=0.05)
    assert model.h[3].attn.c_proj.weight.std().item() == pytest.approx(expected, rel=0.05)
    assert torch.equal(model.h[0].ln_1.weight, torch.ones(256)) and model.h[0].attn.c_attn.bias.abs().sum() == 0


def test_dropout_placement_follows_gpt2():
    cfg = GPTConfig(vocab_size=50, n_positions=16, n_embd=32, n_layer=1, n_head=2, dropout=0.1)
    model = GPT2(cfg)
    dropouts = [name for name, m in model.named_modules() if isinstance(m, nn.Dropout)]
    assert dropouts == ["drop", "h.0.attn.attn_dropout", "h.0.attn.resid_dropout", "h.0.mlp.dropout"]
    idx = torch.randint(50, (1, 10))
    assert not torch.equal(model.train()(idx), model(idx))  # dropout active in training
    model.eval()
    assert torch.equal(model(idx), model(idx))


def test_too_long_sequences_are_rejected():
    with pytest.raises(ValueError, match="n_positions"):
        GPT2(CFG)(torch.zeros(1, CFG.n_positions + 1, dtype=torch.long))


def test_config_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=100, n_head=3)


def test_fast_model_equals_explicit_model_outputs_and_gradients():
    """fast=True (fused SDPA, layer_norm, tanh gelu) is the same maths as the written-out path."""
    torch.manual_seed(0)
    explicit, fast = GPT2(CFG), GPT2(CFG, fast=True)
    fast.load_state_dict(explicit.state_dict())
    idx = torch.randint(CFG.vocab_size, (2, 9), generator=torch.Generator().manual_seed(1))
    a, b = explicit(idx), fast(idx)
    torch.testing.assert_close(b, a, atol=1e-5, rtol=0)
    a.square().mean().backward()
    b.square().mean().backward()
    for (name, p), q in zip(explicit.named_parameters(), fast.parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, atol=1e-6, rtol=1e-4, msg=lambda m, n=name: f"{n}: {m}")
