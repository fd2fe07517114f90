"""The experiment code of chapters 5-6 and notebooks 04/06: schedule, determinism, and Xiong et al.'s claims.

The gradient-flow assertions are on ratios that separate Pre-LN from Post-LN by a wide
margin (measured over seeds 0-4, see the docstrings in ``gpt2ln.experiments``): they fail
if the two blocks are swapped or the measurement is wrong.
"""

import math
from itertools import pairwise

import pytest
import torch

from gpt2ln import GPTConfig, PostLNBlock, PreLNBlock
from gpt2ln.experiments import (
    QUICK,
    compare,
    depth_sweep,
    flow_of_model,
    gradient_flow,
    identity_jacobian_gap,
    lemma2_bounds,
    lr_at,
    make_model,
    train,
    unigram_loss,
    zero_residual_branches_,
)
from gpt2ln.experiments.threads import torch_threads


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These models are tiny: one thread avoids OpenMP waits when other jobs share the CPU."""
    with torch_threads(1):
        yield


# ---------------------------------------------------------------- learning-rate schedule


def test_lr_warmup_starts_at_zero_and_reaches_base_lr():
    kw = dict(base_lr=1e-3, warmup_steps=10, total_steps=100)
    assert lr_at(0, **kw) == 0.0
    assert lr_at(10, **kw) == pytest.approx(1e-3)
    warmup = [lr_at(s, **kw) for s in range(11)]
    assert all(a < b for a, b in pairwise(warmup)), "the warmup must rise every step"
    assert lr_at(5, **kw) == pytest.approx(0.5e-3), "the warmup is linear"


def test_lr_decays_to_a_tenth_after_warmup():
    kw = dict(base_lr=1e-3, warmup_steps=10, total_steps=100)
    decay = [lr_at(s, **kw) for s in range(10, 101)]
    assert all(a > b for a, b in pairwise(decay)), "after the warmup the rate must fall every step"
    assert lr_at(100, **kw) == pytest.approx(1e-4)
    assert lr_at(150, **kw) == pytest.approx(1e-4), "past total_steps the rate stays at its floor"


def test_lr_without_warmup_starts_at_base_lr():
    assert lr_at(0, base_lr=3e-3, warmup_steps=0, total_steps=50) == pytest.approx(3e-3)
    assert lr_at(50, base_lr=3e-3, warmup_steps=0, total_steps=50) == pytest.approx(3e-4)


# ---------------------------------------------------------------- gradient flow at initialisation


def test_make_model_is_deterministic_and_seeded():
    a, b, c = make_model("post", 2, seed=3), make_model("post", 2, seed=3), make_model("post", 2, seed=4)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.h[0].mlp.c_proj.weight, c.h[0].mlp.c_proj.weight)


def test_make_model_xavier_scales():
    model = make_model("pre", 2, n_embd=64, init="xavier")
    w = model.h[0].mlp.c_fc.weight  # (4C, C): Xavier std sqrt(2 / (C + 4C))
    assert w.std().item() == pytest.approx(math.sqrt(2 / (5 * 64)), rel=0.05)
    x0 = model.wte.weight[:8] + model.wpe.weight[:8]  # (8, C): unit variance per coordinate
    assert x0.var().item() == pytest.approx(1.0, rel=0.2)
    gpt2 = make_model("pre", 2, init="gpt2")
    assert gpt2.h[0].mlp.c_fc.weight.std().item() == pytest.approx(0.02, rel=0.05)
    with pytest.raises(ValueError):
        make_model("pre", 2, init="kaiming")


def test_gradient_flow_is_deterministic_and_shaped():
    a, b = gradient_flow("post", 3, seed=1), gradient_flow("post", 3, seed=1)
    assert a.grad_norms == b.grad_norms and a.hidden_norms == b.hidden_norms
    assert len(a.grad_norms) == len(a.block_grad_norms) == 3 and len(a.hidden_norms) == 4
    assert a.grad_norms != gradient_flow("post", 3, seed=2).grad_norms
    assert a.loss == pytest.approx(math.log(256), rel=0.15), "xavier init starts near the uniform loss"


def test_flow_of_model_is_the_measurement_of_gradient_flow():
    model = make_model("pre", 3, seed=4)
    assert flow_of_model(model, norm="pre", init="xavier", seed=4) == gradient_flow("pre", 3, seed=4)


@pytest.fixture(scope="module")
def sweeps():
    """Xavier-initialised stacks of 6 and 24 blocks, Pre-LN and Post-LN (about 1 s in all)."""
    return {norm: {r.n_layer: r for r in depth_sweep(norm, depths=(6, 24))} for norm in ("pre", "post")}


def test_post_ln_gradients_do_not_shrink_toward_the_output(sweeps):
    """Fig. 3 a/b: Post-LN keeps large gradients up to the last layer; Pre-LN's fall off toward it."""
    for L in (6, 24):
        assert sweeps["post"][L].top_bottom_ratio > 0.7
    assert sweeps["pre"][24].top_bottom_ratio < 0.5
    assert sweeps["post"][24].top_bottom_ratio > 2 * sweeps["pre"][24].top_bottom_ratio


def test_last_layer_gradient_vs_depth(sweeps):
    """Theorem 1 / Fig. 3 c/d: ||dL/dW^{2,L}|| is O(1) in depth for Post-LN, O(1/sqrt(L)) for Pre-LN."""
    post = sweeps["post"][24].last_grad_norm / sweeps["post"][6].last_grad_norm
    pre = sweeps["pre"][24].last_grad_norm / sweeps["pre"][6].last_grad_norm
    assert 0.8 < post < 1.5, f"Post-LN last-layer gradient should not depend on depth (ratio {post:.2f})"
    assert 0.35 < pre < 0.75, f"Pre-LN last-layer gradient should fall like 1/sqrt(L): 0.5 from L=6 to 24 ({pre:.2f})"
    assert sweeps["post"][24].last_grad_norm > 2.5 * sweeps["pre"][24].last_grad_norm


def test_pre_ln_stream_grows_at_every_block_post_ln_stays_normalised(sweeps):
    """Lemma 2: E||x_l||^2 / d grows linearly in Pre-LN; Post-LN ends every block in a LayerNorm."""
    pre = sweeps["pre"][24].hidden_norms
    assert pre[0] == pytest.approx(1.0, abs=0.1), "xavier init gives a unit-variance input"
    assert all(a < b for a, b in pairwise(pre)), "every Pre-LN block adds to the stream"
    _, upper = lemma2_bounds(24)
    assert all(h <= u for h, u in zip(pre[1:], upper[1:], strict=True)), "Lemma 2's upper bound holds"
    assert pre[-1] > 1 + 0.3 * 24, "the stream grows by a constant amount per block"
    for r in sweeps["post"].values():
        assert all(h == pytest.approx(1.0, abs=0.05) for h in r.hidden_norms)


def test_pre_ln_stream_is_the_sum_of_its_branches(sweeps):
    """Cross terms vanish at init: ||x_L||^2 = ||x_0||^2 + sum of the branch outputs' squared norms."""
    r = sweeps["pre"][24]
    total = r.hidden_norms[0] + sum(r.attn_branch_norms) + sum(r.mlp_branch_norms)
    assert total == pytest.approx(r.hidden_norms[-1], rel=0.1)


def test_gpt2_init_keeps_the_pre_ln_stream_bounded():
    """GPT-2's 1/sqrt(2L) residual scaling: the stream grows by a depth-independent factor."""
    for L in (6, 24):
        h = gradient_flow("pre", L, init="gpt2").hidden_norms
        assert 1.0 < h[-1] / h[0] < 2.0


def test_identity_jacobian_gap():
    cfg = GPTConfig(vocab_size=16, n_positions=8, n_embd=16, n_layer=1, n_head=2)
    torch.manual_seed(0)
    x = torch.randn(1, 4, 16)  # (B, T, C)
    pre, post = zero_residual_branches_(PreLNBlock(cfg)), zero_residual_branches_(PostLNBlock(cfg))
    assert identity_jacobian_gap(pre, x) == 0.0, "a Pre-LN block with silent branches is exactly the identity"
    assert identity_jacobian_gap(post, x) > 0.1, "a Post-LN block is never the identity: its LayerNorms remain"
    assert identity_jacobian_gap(PreLNBlock(cfg), x) > 0.0


# ---------------------------------------------------------------- training runs

SYNTHETIC = "the quick brown fox jumps over the lazy dog. " * 40


def test_train_tiny_run_learns_and_is_deterministic():
    kw = dict(lr=3e-3, warmup_steps=5, steps=30, n_layer=1, n_embd=16, n_head=2, block_size=16, batch_size=8,
              text=SYNTHETIC, progress=False, device="cpu")
    a, b = train("pre", **kw), train("pre", **kw)
    assert a.losses == b.losses and a.val_loss == b.val_loss
    assert len(a.losses) == len(a.grad_norms) == len(a.lrs) == 30
    assert a.lrs[0] == 0.0 and max(a.lrs) == pytest.approx(3e-3)
    assert sum(a.losses[-5:]) / 5 < a.losses[0] - 0.5, "the loss must fall on a repetitive text"
    assert math.isfinite(a.val_loss) and not a.diverged


def test_compare_runs_the_four_configurations():
    kw = {**QUICK, "steps": 6, "text": SYNTHETIC, "progress": False, "device": "cpu"}
    runs = compare(1e-3, 3, **kw)
    assert set(runs) == {("pre", 0), ("pre", 3), ("post", 0), ("post", 3)}
    assert runs["post", 3].lrs[0] == 0.0 and runs["post", 0].lrs[0] == pytest.approx(1e-3)
    assert runs["pre", 0].losses != runs["post", 0].losses


def test_unigram_loss_is_the_entropy_of_character_frequencies():
    assert unigram_loss("ab" * 200) == pytest.approx(math.log(2), rel=1e-4)
    assert unigram_loss("aaab" * 100) == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), rel=1e-3)


# ---------------------------------------------------------------- the book's claims, checked without the book


def test_lemma2_in_its_own_setting():
    """Xiong et al.'s Lemma 2: uniform attention + ReLU FFN adds d/2..3d/2 per Pre-LN layer.

    And Post-LN's x^{post,5} (the input of each layer's last LayerNorm) is 3d/2.
    """
    from gpt2ln.experiments import lemma2_setting

    r = lemma2_setting(8, d=128, n_tokens=32)
    assert len(r["pre"]) == 9 and len(r["post"]) == 8
    assert r["pre"][0] == pytest.approx(1.0, abs=0.05)
    for a, b in pairwise(r["pre"]):
        assert 0.4 <= b - a <= 1.6, "each Pre-LN layer adds between d/2 and 3d/2"
    assert sum(r["post"]) / len(r["post"]) == pytest.approx(1.5, abs=0.15)
    assert lemma2_setting(3, d=32, n_tokens=8) == lemma2_setting(3, d=32, n_tokens=8)


def test_per_layer_profiles_as_the_book_states_them():
    """Chapter 6: Pre-LN's last/first gradient ratio falls with depth; Post-LN's exceeds 1 only at 24 layers."""
    pre = [gradient_flow("pre", L).top_bottom_ratio for L in (6, 12, 24)]
    post = [gradient_flow("post", L).top_bottom_ratio for L in (6, 12, 24)]
    assert pre[0] > pre[1] > pre[2] and pre[0] < 1
    assert post[0] < 1 and post[1] < 1 and post[2] > 1
    assert all(b > a for a, b in zip(pre, post, strict=True))


def test_gpt2_init_has_no_inverse_sqrt_depth():
    """Chapters 4 and 6: under GPT-2's own init the stream grows ~1.5x and the last-layer gradient is depth-free."""
    flows = [gradient_flow("pre", L, init="gpt2") for L in (6, 48)]
    growth = [f.hidden_norms[-1] / f.hidden_norms[0] for f in flows]
    assert all(1.2 < g < 1.8 for g in growth)
    assert 0.8 < flows[1].last_grad_norm / flows[0].last_grad_norm < 1.25


def test_later_variants_at_initialisation():
    """Chapter 8: NormFormer and LayerNorm Scaling are Pre-LN's shortcut with extra or scaled norms."""
    from gpt2ln.experiments import beyond

    lns = beyond.variant_model("lns", 4)
    assert [b.scale for b in lns.h] == pytest.approx([1, 2**-0.5, 3**-0.5, 0.5])
    nf = beyond.variant_model("normformer", 2)
    assert nf.h[0].ln_mid.weight.shape == (4 * 64,)
    flows = beyond.variant_flows(12, names=beyond.LATER)
    shares = {k: beyond.block_shares(f) for k, f in flows.items()}
    assert len(shares["pre"]) == 12 and shares["pre"][-1] < shares["pre"][0] / 2
    assert flows["lns"].hidden_norms[-1] < flows["pre"].hidden_norms[-1] / 2
    with pytest.raises(ValueError):
        beyond.variant_model("nope", 2)
