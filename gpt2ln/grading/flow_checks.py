"""Checks of assignment 5 (05_gradient_flow): per-layer gradient norms and hidden-state norms at initialisation.

The student measures them on the model and batch of ``measurement_setup``, which are the
ones ``gpt2ln.experiments.gradient_flow`` uses for the same (norm, depth, seed, init); the
reference numbers come from ``gradient_flow`` itself. When the numbers differ, the check
compares them with what the usual slips would give (the whole block's gradient, a squared
norm, a summed loss, the attention's c_proj, layers in reverse...) and says which one it is.
"""

import math

import torch

from ..experiments import gradient_flow, make_model
from ..model import lm_loss
from . import sections as S
from .harness import call, graded
from .i18n import _, lazy

SETUP_DEFAULTS = dict(n_embd=64, n_head=4, seq_len=32, batch_size=8, vocab_size=256)


def measurement_setup(norm: str, n_layer: int, *, seed: int = 0, init: str = "xavier"):
    """(model, idx, targets): the fresh model and random batch ``gradient_flow`` measures."""
    d = SETUP_DEFAULTS
    model = make_model(norm, n_layer, n_embd=d["n_embd"], n_head=d["n_head"], vocab_size=d["vocab_size"],
                       n_positions=max(128, d["seq_len"]), init=init, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    idx = torch.randint(d["vocab_size"], (d["batch_size"], d["seq_len"]), generator=gen)  # (B, T)
    targets = torch.randint(d["vocab_size"], (d["batch_size"], d["seq_len"]), generator=gen)  # (B, T)
    return model, idx, targets


def _norm(t):
    return t.norm().item() if t is not None else 0.0


def gradient_alternatives(norm, n_layer, seed=0, init="xavier") -> dict[str, list[float]]:
    """What a slightly wrong measurement returns, keyed by an explanation of the slip."""
    model, idx, targets = measurement_setup(norm, n_layer, seed=seed, init=init)
    logits = model(idx)
    lm_loss(logits, targets).backward()
    c_proj = [_norm(b.mlp.c_proj.weight.grad) for b in model.h]
    blocks = [math.sqrt(sum(float(p.grad.pow(2).sum()) for p in b.parameters() if p.grad is not None))
              for b in model.h]
    n_tokens = idx.numel()
    return {
        _("the norm of the gradient of *all* of block l's parameters, not only mlp.c_proj.weight"): blocks,
        _("squared norms (||g||^2): take the Frobenius norm itself, `grad.norm()`"): [g * g for g in c_proj],
        _("the gradient of a *summed* loss (B x T times the mean): use the mean cross-entropy, `lm_loss`"):
            [g * n_tokens for g in c_proj],
        _("the attention's c_proj (attn.c_proj) instead of the MLP's (mlp.c_proj)"):
            [_norm(b.attn.c_proj.weight.grad) for b in model.h],
        _("the MLP's first layer (mlp.c_fc) instead of its output layer (mlp.c_proj)"):
            [_norm(b.mlp.c_fc.weight.grad) for b in model.h],
        _("the layers in reverse order: index 0 must be the first block, model.h[0]"): c_proj[::-1],
        _("gradients accumulated over two backward passes: call model.zero_grad() first"): [2 * g for g in c_proj],
    }


def hidden_alternatives(norm, n_layer, seed=0, init="xavier") -> dict[str, list[float]]:
    model, idx, _targets = measurement_setup(norm, n_layer, seed=seed, init=init)
    d = model.cfg.n_embd
    with torch.no_grad():
        x = model.drop(model.wte(idx) + model.wpe(torch.arange(idx.shape[1])))  # (B, T, C)
        states = [x]
        for block in model.h:
            x = block(x)
            states.append(x)
    mean_sq = [s.pow(2).sum(-1).mean().item() / d for s in states]
    return {
        _("not divided by n_embd: report mean ||x_l||^2 / n_embd"): [v * d for v in mean_sq],
        _("norms, not squared norms: report mean ||x_l||^2 / n_embd"):
            [s.norm(dim=-1).mean().item() / d for s in states],
        _("the root mean square: report the mean of ||x_l||^2 / n_embd, not its square root"):
            [math.sqrt(v) for v in mean_sq],
        _("without x_0, the input of the first block (the list has L + 1 entries: x_0 = drop(wte + wpe))"): mean_sq[1:],
        _("the final LayerNorm's output in the last place: x_L is the output of the last block, before ln_f"):
            mean_sq[:-1] + [model.ln_f(states[-1]).pow(2).sum(-1).mean().item() / d],
    }


def _close(mine, expected, rtol=1e-3) -> bool:
    try:
        mine = [float(v) for v in mine]
    except (TypeError, ValueError):
        return False
    return len(mine) == len(expected) and all(math.isclose(a, b, rel_tol=rtol, abs_tol=1e-9)
                                              for a, b in zip(mine, expected, strict=True))


def _explain(what, mine, expected, alternatives, label) -> str:
    shown = [round(float(v), 4) for v in mine] if isinstance(mine, (list, tuple)) else mine
    lines = [_("Your {what} for {label} differ from the reference (gpt2ln.experiments.gradient_flow, same seed).")
             .format(what=what, label=label),
             _("  yours:    {values}").format(values=shown),
             _("  expected: {values}").format(values=[round(v, 4) for v in expected])]
    if isinstance(mine, (list, tuple)) and len(mine) != len(expected):
        lines.append(_("You returned {count} numbers; there should be {expected}.").format(count=len(mine),
                                                                                         expected=len(expected)))
    for explanation, values in alternatives.items():
        if _close(mine, values):
            lines.append(_("Your numbers are {explanation}.").format(explanation=explanation))
            break
    lines.append(_("See {section}.").format(section=S.GRADIENT_FLOW))
    return "\n".join(lines)


def _as_list(values, what):
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    assert isinstance(values, (list, tuple)), _("{what} must return a list of floats, got {name}.").format(
        what=what, name=type(values).__name__)
    return list(values)


def _check_gradients(fn, cases):
    for norm, n_layer, seed, init in cases:
        model, idx, targets = measurement_setup(norm, n_layer, seed=seed, init=init)
        mine = _as_list(call(fn, model, idx, targets), "layer_gradient_norms")
        expected = gradient_flow(norm, n_layer, seed=seed, init=init).grad_norms
        if not _close(mine, expected):
            label = _("{norm}-LN, {n_layer} layers, seed {seed}, {init} init").format(norm=norm, n_layer=n_layer,
                                                                                      seed=seed, init=init)
            raise AssertionError(_explain(_("gradient norms"), mine, expected,
                                          gradient_alternatives(norm, n_layer, seed, init), label))
    return _("{n_cases} stacks match gradient_flow").format(n_cases=len(cases))


def _check_hidden(fn, cases):
    for norm, n_layer, seed, init in cases:
        model, idx, _targets = measurement_setup(norm, n_layer, seed=seed, init=init)
        mine = _as_list(call(fn, model, idx), "hidden_state_norms")
        expected = gradient_flow(norm, n_layer, seed=seed, init=init).hidden_norms
        if not _close(mine, expected):
            label = _("{norm}-LN, {n_layer} layers, seed {seed}, {init} init").format(norm=norm, n_layer=n_layer,
                                                                                      seed=seed, init=init)
            raise AssertionError(_explain(_("hidden-state norms"), mine, expected,
                                          hidden_alternatives(norm, n_layer, seed, init), label))
    return _("{n_cases} stacks match gradient_flow").format(n_cases=len(cases))


# (norm, n_layer, seed, init): kept shallow so that each test cell stays a few seconds on a laptop CPU.
VISIBLE = [("pre", 6, 0, "xavier"), ("post", 6, 0, "xavier")]
HIDDEN = [("post", 12, 1, "xavier"), ("pre", 12, 2, "gpt2")]


@graded(lazy("layer_gradient_norms: values"), S.GRADIENT_FLOW)
def gradient_norms_values(layer_gradient_norms):
    return _check_gradients(layer_gradient_norms, VISIBLE)


@graded(lazy("layer_gradient_norms: more depths, seeds and inits"), S.GRADIENT_FLOW)
def gradient_norms_hidden(layer_gradient_norms):
    return _check_gradients(layer_gradient_norms, HIDDEN)


@graded(lazy("hidden_state_norms: values"), S.GRADIENT_FLOW)
def hidden_norms_values(hidden_state_norms):
    return _check_hidden(hidden_state_norms, VISIBLE)


@graded(lazy("hidden_state_norms: more depths, seeds and inits"), S.GRADIENT_FLOW)
def hidden_norms_hidden(hidden_state_norms):
    return _check_hidden(hidden_state_norms, HIDDEN)


@graded(lazy("gradient flow: what your measurements show"), S.GRADIENT_FLOW)
def flow_properties(layer_gradient_norms, hidden_state_norms):
    """Reference-free: the shape of the curves (Xiong et al. 2020), and no stale gradients."""
    model, idx, targets = measurement_setup("pre", 8)
    first = _as_list(call(layer_gradient_norms, model, idx, targets), "layer_gradient_norms")
    again = _as_list(call(layer_gradient_norms, model, idx, targets), "layer_gradient_norms")
    assert _close(again, first, rtol=1e-6), (
        _("Measuring the same model twice gave different numbers: gradients from the first call were still there. "
          "Reset them (model.zero_grad()) before the backward pass."))
    pre_hidden = _as_list(call(hidden_state_norms, model, idx), "hidden_state_norms")
    assert pre_hidden[-1] > 2 * pre_hidden[0], (
        _("In Pre-LN the residual stream is a sum of branch outputs, so its size grows with depth (Lemma 2); your "
          "measurement gives {pre_hidden:.3g} at x_0 and {pre_hidden2:.3g} at x_8. See {section}.").format(
              pre_hidden=pre_hidden[0], pre_hidden2=pre_hidden[-1], section=S.GRADIENT_FLOW))
    post_model, idx, targets = measurement_setup("post", 8)
    post_hidden = _as_list(call(hidden_state_norms, post_model, idx), "hidden_state_norms")
    assert all(0.8 < v < 1.2 for v in post_hidden[1:]), (
        _("Every Post-LN block ends in a LayerNorm, so ||x_l||^2 / n_embd stays near 1; yours gives "
          "{post_hidden}.").format(
            post_hidden=post_hidden))
    post = _as_list(call(layer_gradient_norms, post_model, idx, targets), "layer_gradient_norms")
    assert post[-1] / post[0] > first[-1] / first[0], (
        _("Post-LN's gradients should lean toward the top layers more than Pre-LN's (Xiong et al. 2020, Fig. 3); your "
          "top/bottom ratios: Post-LN {value:.3g}, Pre-LN {value2:.3g}.").format(
              value=post[-1] / post[0], value2=first[-1] / first[0]))
    return _("repeatable, Pre-LN stream grows, Post-LN stream pinned near 1, Post-LN top-heavy")
