"""Property checks: what must hold whatever the weights, with no reference to compare against.

They catch bugs in words the student already knows ("changing a future token changed the
past") and they pass for any correct implementation, however it is written.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .. import LayerNorm as ReferenceLayerNorm
from . import sections as S
from .compare import randomise
from .harness import build, forward, graded, repeatable, small_config
from .i18n import _, lazy


def _linear(module, name, in_features, out_features, what):
    layer = getattr(module, name, None)
    assert layer is not None, _("Your {what} has no attribute `{name}` (the contract's name, as in GPT-2's "
                                "checkpoint).").format(what=what, name=name)
    weight = getattr(layer, "weight", None)
    assert weight is not None and tuple(weight.shape) == (out_features, in_features), (
        _("`{what}.{name}` should be an nn.Linear({in_features}, {out_features}) (weight of shape {value}), got "
          "{name2} with weight {value2}.").format(
              what=what, name=name, in_features=in_features, out_features=out_features,
              value=(out_features, in_features), name2=type(layer).__name__,
              value2=None if weight is None else tuple(weight.shape))
    )


class LibraryLayerNorm(TorchFunctionMode):
    """Records every call of PyTorch's own layer norm (``F.layer_norm``, ``nn.LayerNorm``, ``torch.layer_norm``)."""

    FORBIDDEN = {F.layer_norm: "F.layer_norm", torch.layer_norm: "torch.layer_norm",
                 torch.native_layer_norm: "torch.native_layer_norm"}

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.FORBIDDEN:
            self.calls.append(self.FORBIDDEN[func])
        return func(*args, **(kwargs or {}))


@graded(lazy("LayerNorm: properties"), S.LAYERNORM_STATISTICS)
def layernorm_properties(LayerNorm):
    ln = build(LayerNorm, 6)
    weight, bias = getattr(ln, "weight", None), getattr(ln, "bias", None)
    plain = [n for n, t in (("weight", weight), ("bias", bias))
             if isinstance(t, torch.Tensor) and not isinstance(t, nn.Parameter)]
    assert not plain, (
        _("Your LayerNorm has {join}, but as plain tensors, not nn.Parameter: wrap each in `nn.Parameter(...)` so "
          "that the optimiser trains it and it moves and saves with the module. See {section}.").format(
              join=_(" and ").join(f"`{n}`" for n in plain), section=S.LAYERNORM_AFFINE))
    assert isinstance(weight, nn.Parameter) and isinstance(bias, nn.Parameter), (
        _("LayerNorm needs two nn.Parameter attributes, `weight` and `bias` (the gain and the shift); see "
          "{section}.").format(

            section=S.LAYERNORM_AFFINE))
    assert tuple(weight.shape) == (6,) and tuple(bias.shape) == (6,), _("`weight` and `bias` have shape (n_embd,).")
    assert torch.all(weight == 1) and torch.all(bias == 0), (
        _("A new LayerNorm starts as a pure normaliser: `weight` initialised to ones and `bias` to zeros."))
    build(LayerNorm, 6, 1e-3)  # accepts eps as its second argument
    x = torch.randn(4, 3, 6) * 5 + 2
    with LibraryLayerNorm() as library:
        y = forward(ln, x, what="LayerNorm")
    assert not library.calls, (
        _("Your LayerNorm calls PyTorch's own layer norm ({calls}, or nn.LayerNorm, which calls it). The task is to "
          "write the normalisation yourself: the mean and the biased variance over the last dimension, then (x - "
          "mean) / sqrt(var + eps) * weight + bias. See {section}.").format(
              calls=library.calls[0], section=S.LAYERNORM_STATISTICS))
    assert y.shape == x.shape, _("LayerNorm must keep the shape: got {shape} for input {shape2}.").format(
        shape=tuple(y.shape), shape2=tuple(x.shape))
    mean, var = y.mean(-1), y.var(-1, unbiased=False)
    assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5), (
        _("At initialisation each output row should have mean 0 (over the last dimension); got up to {mean:.3g}. See "
          "{section}.").format(mean=mean.abs().max().item(), section=S.LAYERNORM_STATISTICS))
    assert torch.allclose(var, torch.ones_like(var), atol=1e-3), (
        _("At initialisation each output row should have (biased) variance close to 1; got values from {var:.4g} to "
          "{var2:.4g}. See {section}.").format(var=var.min().item(), var2=var.max().item(), section=S.BIASED_VARIANCE))
    y2 = forward(ln, x[1:2], what="LayerNorm")
    assert torch.allclose(y2, y[1:2], atol=1e-6), (
        _("Each token must be normalised on its own: the output for one sequence changed when the batch changed. "
          "Reduce over the last dimension only. See {section}.").format(section=S.LAYERNORM_STATISTICS))
    return _("parameters, initial values, zero mean and unit variance per row, no in-place change")


@graded(lazy("gelu: properties"), S.GELU_TANH)
def gelu_properties(gelu):
    x = torch.tensor([-10.0, -0.75, 0.0, 1.0, 10.0])
    y = forward(gelu, x, what="gelu")
    assert y.shape == x.shape, _("gelu returns a tensor of the same shape as its input.")
    assert y[2].item() == 0.0, _("gelu(0) must be 0, got {y:.4g}.").format(y=y[2].item())
    assert abs(y[4].item() - 10.0) < 1e-4 and abs(y[0].item()) < 1e-4, (
        _("gelu(x) is about x for large positive x and about 0 for large negative x."))
    assert -0.18 < y[1].item() < -0.16, (
        _("gelu has its minimum of about -0.17 near x = -0.75; yours gives {y:.4g} there. See {section}.").format(
            y=y[1].item(), section=S.GELU_TANH))
    assert abs(y[3].item() - 0.841192) < 1e-5, (
        _("gelu(1) with the tanh approximation is 0.841192 (the exact GELU gives 0.841345); yours gives {y:.6f}. See "
          "{section}.").format(y=y[3].item(), section=S.GELU_TANH))
    return _("zero at 0, identity for large x, minimum near -0.75, tanh value at 1")


@graded(lazy("MLP: properties"), S.MLP)
def mlp_properties(MLP):
    cfg = small_config(8, 2, dropout=0.3)
    mlp = build(MLP, cfg)
    _linear(mlp, "c_fc", 8, 32, "MLP")
    _linear(mlp, "c_proj", 32, 8, "MLP")
    _dropout_of(mlp, "dropout", cfg, "MLP")
    randomise(mlp).eval()
    x = torch.randn(2, 5, 8)
    y = repeatable(mlp, x, what="MLP")
    assert y.shape == x.shape, _("MLP maps (B, T, n_embd) to (B, T, n_embd): got {shape}.").format(shape=tuple(y.shape))
    x2 = x.clone()
    x2[:, 3] += 1.0
    y2 = forward(mlp, x2, what="MLP")
    others = [t for t in range(5) if t != 3]
    assert torch.allclose(y[:, others], y2[:, others], atol=1e-6), (
        _("The MLP acts on each position on its own: changing token 3 changed other positions. See {section}.").format(
            section=S.MLP))
    mlp.train()
    mlp.dropout.p = 1.0  # every output of c_proj dropped: exactly zero
    dropped = forward(mlp, x, what="MLP")
    if not torch.all(dropped == 0):
        assert not torch.allclose(dropped, y, atol=1e-6), (
            _("In training mode with dropout p = 1 your MLP's output is unchanged: it never applies `self.dropout`. "
              "Drop out c_proj's output: dropout(c_proj(gelu(c_fc(x)))). See {section}.").format(section=S.MLP))
        assert not torch.allclose(dropped, mlp.c_proj.bias.expand_as(dropped), atol=1e-6), (
            _("In training mode with dropout p = 1 your MLP returns c_proj.bias instead of zeros: its dropout acts "
              "before c_proj, on the 4 n_embd wide hidden layer. GPT-2 drops out the MLP's output, the branch that "
              "joins the residual stream: dropout(c_proj(gelu(c_fc(x)))). See {section}.").format(section=S.MLP))
        raise AssertionError(_("In training mode with dropout p = 1 the MLP's output must be exactly zero: dropout is "
                               "its last step, dropout(c_proj(gelu(c_fc(x)))). See {section}.").format(section=S.MLP))
    mlp.dropout.p = 0.5
    assert torch.isfinite(forward(mlp, x, what="MLP")).all(), _("With dropout 0.5 in training mode your MLP gives NaN.")
    return _("c_fc and c_proj shapes, nn.Dropout(cfg.dropout) applied last, position-wise")


@graded(lazy("CausalSelfAttention: properties"), S.ATTENTION)
def attention_properties(CausalSelfAttention):
    cfg = small_config(12, 3, dropout=0.3)
    attn = build(CausalSelfAttention, cfg)
    _linear(attn, "c_attn", 12, 36, "CausalSelfAttention")
    _linear(attn, "c_proj", 12, 12, "CausalSelfAttention")
    for name in ("attn_dropout", "resid_dropout"):
        _dropout_of(attn, name, cfg, "CausalSelfAttention")
    randomise(attn).eval()
    T = 6
    x = torch.randn(2, T, 12)
    y = repeatable(attn, x, what="CausalSelfAttention")
    assert y.shape == x.shape, _("Attention maps (B, T, n_embd) to (B, T, n_embd): got {shape}.").format(
        shape=tuple(y.shape))
    assert torch.isfinite(y).all(), (
        _("Your attention output contains NaN or inf: does some query have no key it may attend to? See "
          "{section}.").format(

            section=S.ATTENTION_MASK))
    for t in range(T - 1):
        x2 = x.clone()
        x2[:, t + 1 :] = torch.randn(2, T - t - 1, 12)
        y2 = forward(attn, x2, what="CausalSelfAttention")
        assert torch.allclose(y[:, : t + 1], y2[:, : t + 1], atol=1e-5), (
            _("Changing the tokens after position {t} changed the output at positions 0..{t}: information reaches "
              "them from the future. Either the keys j > i are not masked before the softmax ({section}), or the heads "
              "are split or merged across the time axis: a reshape or view of (B, T, C) to (B, n_head, T, head_dim), "
              "or back, without the transpose ({heads}).").format(
                  t=t, section=S.ATTENTION_MASK, heads=S.ATTENTION_HEADS))
    with torch.no_grad():  # the first token attends only to itself: its output is c_proj(v_0)
        v0 = attn.c_attn(x[:, :1])[..., 24:]
        alone = attn.c_proj(v0)
    assert torch.allclose(y[:, :1], alone, atol=1e-5), (
        _("The first position can attend only to itself, so its output must be c_proj(v_0); yours differs. Is the "
          "diagonal masked (off by one), or are q, k, v split in another order than q, k, v? See {section}.").format(
              section=S.ATTENTION_MASK))
    one = forward(attn, x[:, :1], what="CausalSelfAttention")
    assert torch.allclose(one, y[:, :1], atol=1e-5), _("A sequence of one token must work and give the same output.")
    _attention_dropouts(attn, x, y)
    return (_("shapes, dropouts where GPT-2 puts them, causal (a future change leaves the past alone), first token "
              "sees only itself"))


def _dropout_of(module, name, cfg, what):
    """``module.<name>`` is an nn.Dropout built with cfg.dropout (the config has dropout=0.3)."""
    dropout = getattr(module, name, None)
    assert isinstance(dropout, nn.Dropout), _("Your {what} needs an `nn.Dropout(cfg.dropout)` as `{name}`.").format(
        what=what, name=name)
    assert dropout.p == cfg.dropout, (
        _("Your {what} ignores cfg.dropout: built with a config of dropout={dropout}, its `{name}` has p = {p}. Build "
          "it as `nn.Dropout(cfg.dropout)`.").format(what=what, dropout=cfg.dropout, name=name, p=dropout.p))


def _attention_dropouts(attn, x, y):
    """The p = 1 limits in training mode: attention weights all dropped gives c_proj's bias; the output dropped, 0."""
    what = "CausalSelfAttention"
    attn.train()
    attn.attn_dropout.p, attn.resid_dropout.p = 1.0, 0.0
    dropped = forward(attn, x, what=what)
    assert not torch.isnan(dropped).any(), (
        _("With attn_dropout p = 1 in training mode your attention gives NaN: it applies attn_dropout to the "
          "masked scores before the softmax, and dropout multiplies the -inf entries by 0 (NaN). Drop out the "
          "attention *weights*: apply attn_dropout after the softmax, to the weights that then multiply v. See "
          "{section}.").format(

              section=S.ATTENTION))
    assert not torch.allclose(dropped, y, atol=1e-6), (
        _("With attn_dropout p = 1 in training mode your attention's output is unchanged: it never applies "
          "attn_dropout. Drop out the attention weights, after the softmax and before `@ v`. See {section}.").format(
              section=S.ATTENTION))
    assert torch.allclose(dropped, attn.c_proj.bias.expand_as(dropped), atol=1e-6), (
        _("With attn_dropout p = 1 in training mode every attention weight is 0, so the output must be c_proj's bias "
          "at every position; yours is not. attn_dropout acts on the attention weights, after the softmax and before "
          "`@ v`. See {section}.").format(section=S.ATTENTION))
    attn.attn_dropout.p, attn.resid_dropout.p = 0.0, 1.0
    dropped = forward(attn, x, what=what)
    assert not torch.allclose(dropped, y, atol=1e-6), (
        _("With resid_dropout p = 1 in training mode your attention's output is unchanged: it never applies "
          "resid_dropout. It is the last step, applied to c_proj's output. See {section}.").format(section=S.ATTENTION))
    assert torch.all(dropped == 0), (
        _("With resid_dropout p = 1 in training mode the attention's output must be exactly zero: resid_dropout is "
          "the last step, applied to c_proj's output. See {section}.").format(section=S.ATTENTION))
    attn.attn_dropout.p = attn.resid_dropout.p = 0.5
    assert torch.isfinite(forward(attn, x, what=what)).all(), (
        _("With dropout 0.5 in training mode your attention gives NaN or inf: is attn_dropout applied to the masked "
          "scores (-inf * 0 is NaN) instead of the weights after the softmax? See {section}.").format(
              section=S.ATTENTION))
    attn.eval()


def _block_parts(block, what):
    for name in ("ln_1", "attn", "ln_2", "mlp"):
        assert isinstance(getattr(block, name, None), nn.Module), (
            _("Your {what} has no sub-module `{name}`: a block owns ln_1, attn, ln_2 and mlp (the checkpoint's "
              "names).").format(

                what=what, name=name))
    assert block.ln_1 is not block.ln_2, _("ln_1 and ln_2 must be two LayerNorms with their own weights "
                                           "({what}).").format(

        what=what)


def _zero_branches(block):
    """Zero both c_proj layers: each sub-layer then outputs exactly zero."""
    with torch.no_grad():
        for sub in (block.attn, block.mlp):
            sub.c_proj.weight.zero_()
            if sub.c_proj.bias is not None:
                sub.c_proj.bias.zero_()


def _causal_block(block, what):
    x = torch.randn(2, 6, 8)
    y = repeatable(block, x, what=what)
    x2 = x.clone()
    x2[:, 4:] += torch.randn(2, 2, 8)
    y2 = forward(block, x2, what=what)
    assert torch.allclose(y[:, :4], y2[:, :4], atol=1e-5), (
        _("Changing tokens 4 and 5 changed the output of your {what} at positions 0..3: the block must stay causal "
          "(use the CausalSelfAttention you were given).").format(what=what))
    return x, y


@graded(lazy("PreLNBlock: properties"), S.PRE_LN_BLOCK)
def pre_ln_block_properties(PreLNBlock):
    block = build(PreLNBlock, small_config(8, 2))
    _block_parts(block, "PreLNBlock")
    randomise(block).eval()
    _causal_block(block, "PreLNBlock")
    _zero_branches(block)
    x = torch.randn(2, 5, 8, requires_grad=True) * 3
    x.retain_grad()
    y = forward(block, x, what="PreLNBlock")
    assert torch.allclose(y, x, atol=1e-6), (
        _("With both sub-layers switched off (c_proj = 0) a Pre-LN block must be the identity, y = x: the stream "
          "passes through un-normalised and each branch only adds to it. Yours changed x, so the residual stream "
          "itself goes through a LayerNorm, as it does in each of Misconceptions 1, 2 and 3 (the shortcut starting "
          "from ln(x), the Post-LN layout, a LayerNorm on the shortcut); with the sub-layers off they all give the "
          "same output, and the forward check names the one your block matches, if any. See {section}.").format(
              section=S.MISCONCEPTIONS))
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    assert x.grad is not None and torch.allclose(x.grad, probe, atol=1e-6), (
        _("With both sub-layers switched off, the gradient must pass through a Pre-LN block unchanged (dy/dx = I); "
          "yours does not: is the shortcut detached or computed under torch.no_grad()? See {section}.").format(
              section=S.DETACHED_PATHS))
    return _("sub-modules, causal, identity when the branches are off (forward and gradient)")


@graded(lazy("PostLNBlock: properties"), S.POST_LN_BLOCK)
def post_ln_block_properties(PostLNBlock):
    block = build(PostLNBlock, small_config(8, 2))
    _block_parts(block, "PostLNBlock")
    randomise(block).eval()
    _causal_block(block, "PostLNBlock")
    _zero_branches(block)
    x = torch.randn(2, 5, 8) * 3 + 1
    y = forward(block, x, what="PostLNBlock")
    reference_ln_1, reference_ln_2 = ReferenceLayerNorm(8), ReferenceLayerNorm(8)
    reference_ln_1.load_state_dict(block.ln_1.state_dict())
    reference_ln_2.load_state_dict(block.ln_2.state_dict())
    expected = reference_ln_2(reference_ln_1(x)).detach()
    assert torch.allclose(y, expected, atol=1e-5), (
        _("With both sub-layers switched off (c_proj = 0) a Post-LN block must give ln_2(ln_1(x)): every path, the "
          "shortcut included, goes through both LayerNorms. Yours does not. See {section}.").format(
              section=S.POST_LN_BLOCK))
    return _("sub-modules, causal, ln_2(ln_1(x)) when the branches are off")
