"""Checks of assignment 7 (07_diagnose): the student's measuring functions and their classifier.

The student writes ``identity_gap``, ``stream_sizes`` and ``gradient_ratio`` and classifies
black boxes (:mod:`.blackbox`) with them. Each measurement is compared with the course's own
(:mod:`.blackbox`) on fresh blocks; when the numbers differ, the check compares them with
what the usual slips give (the branches left on, ``||J||`` instead of ``||J - I||``, squared
norms, the ratio upside down...) and says which one it is. A wrong label is answered with
what the block really is and which measurement shows it.
"""

import ast
import copy
import inspect
import math
import re
import textwrap

import torch
import torch.nn.functional as F

from . import blackbox as B
from . import sections as S
from .harness import StudentCodeError, call, graded
from .i18n import _, lazy

# --------------------------------------------------------------------------- the usual slips


def _jacobian(block, x):
    n = x.numel()
    return torch.autograd.functional.jacobian(block, x, vectorize=True).reshape(n, n)


def weights_only_zeroed(block):
    block = copy.deepcopy(block)
    with torch.no_grad():
        for layer in block.branch_outputs():
            layer.weight.zero_()
    return block


def gap_alternatives(block, x) -> dict[str, float]:
    """What a slightly wrong identity gap returns, keyed by an explanation of the slip."""
    off, on = _jacobian(B.branches_off(block), x), _jacobian(block, x)
    weights_off = _jacobian(weights_only_zeroed(block), x)
    eye = torch.eye(x.numel(), dtype=off.dtype)
    return {
        _("the gap with only the branch outputs' weights zeroed: their biases must be zero too (the attention's and "
          "the MLP's c_proj biases), else each branch still adds a constant and is not off"):
            ((weights_off - eye).norm() / eye.norm()).item(),
        _("the gap of the block with its branches still on: zero the weight *and* bias of every layer in "
          "block.branch_outputs() first"): ((on - eye).norm() / eye.norm()).item(),
        _("not divided by ||I||_F = sqrt(n): the gap is relative, ||J - I||_F / ||I||_F"): (off - eye).norm().item(),
        _("||J||_F / ||I||_F: subtract the identity first, ||J - I||_F"): (off.norm() / eye.norm()).item(),
        _("a squared norm: take the Frobenius norms themselves, not their squares"):
            ((off - eye).pow(2).sum() / eye.pow(2).sum()).item(),
    }


def _sizes(states, d):
    return [s.pow(2).sum(-1).mean().item() / d for s in states]


def stream_alternatives(blocks, x) -> dict[str, list[float]]:
    states = [x]
    with torch.no_grad():
        for block in blocks:
            states.append(block(states[-1]))
    d = x.shape[-1]
    mean_sq = _sizes(states, d)
    return {
        _("not divided by d = n_embd: report the mean of ||x_l||^2 / d"): [v * d for v in mean_sq],
        _("norms, not squared norms: report the mean of ||x_l||^2 / d"):
            [s.norm(dim=-1).mean().item() / d for s in states],
        _("root mean squares: report the mean of ||x_l||^2 / d, not its square root"): [math.sqrt(v) for v in mean_sq],
        _("without x_0 = x, the input of the first block (the list has L + 1 entries)"): mean_sq[1:],
    }


def ratio_alternatives(blocks, x, probe) -> dict[str, float]:
    def norms(weights_of, final_ln=True):
        weights = [weights_of(b) for b in blocks]
        h = x
        for block in blocks:
            h = block(h)
        out = F.layer_norm(h, h.shape[-1:]) if final_ln else h
        grads = torch.autograd.grad((out * probe).sum(), weights, allow_unused=True)
        return [g.norm().item() if g is not None else 0.0 for g in grads]

    right = norms(lambda b: b.branch_outputs()[-1].weight)
    attn = norms(lambda b: b.branch_outputs()[0].weight)
    plain = norms(lambda b: b.branch_outputs()[-1].weight, final_ln=False)
    out = {}
    if right[-1] > 0:
        out[_("first/last: the ratio is the last block's gradient over the first block's")] = right[0] / right[-1]
    if right[0] > 0:
        out[_("a ratio of squared norms: take ||grad||_F itself")] = (right[-1] / right[0]) ** 2
    if attn[0] > 0:
        out[_("the attention's output layer (branch_outputs()[0]): use the last branch output, the MLP's "
              "(branch_outputs()[-1])")] = attn[-1] / attn[0]
    if plain[0] > 0:
        out[_("without the final LayerNorm: the loss is (layer_norm(x_L) * probe).sum()")] = plain[-1] / plain[0]
    return out


# --------------------------------------------------------------------------- comparing numbers


def _close(mine, expected, rtol=1e-3, atol=1e-6) -> bool:
    if isinstance(expected, list):
        try:
            mine = [float(v) for v in mine]
        except (TypeError, ValueError):
            return False
        return len(mine) == len(expected) and all(_close(a, b, rtol, atol) for a, b in zip(mine, expected, strict=True))
    try:
        mine = float(mine)
    except (TypeError, ValueError):
        return False
    if math.isinf(expected) or expected > B.VANISHED:  # the gradient never reached the first block
        return mine > B.VANISHED
    return math.isclose(mine, expected, rel_tol=rtol, abs_tol=atol)


def _number(value, what):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    assert isinstance(value, (int, float)), _("{what} must return a float, got {name}.").format(
        what=what, name=type(value).__name__)
    return float(value)


def _numbers(values, what):
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    assert isinstance(values, (list, tuple)), _("{what} must return a list of floats, got {name}.").format(
        what=what, name=type(values).__name__)
    return list(values)


def _explain(what, label, mine, expected, alternatives, section) -> str:
    def show(v):
        return [round(float(a), 4) for a in v] if isinstance(v, (list, tuple)) else f"{float(v):.4g}"

    differ = (_("Your {what} for {label} differ from the course's measurement (gpt2ln.grading.blackbox).")
              if isinstance(expected, list) else
              _("Your {what} for {label} differs from the course's measurement (gpt2ln.grading.blackbox)."))
    lines = [differ.format(what=what, label=label), _("  yours:    {values}").format(values=show(mine)),
             _("  expected: {values}").format(values=show(expected))]
    if isinstance(expected, list) and len(mine) != len(expected):
        lines.append(_("You returned {count} numbers; there should be {expected}.").format(count=len(mine),
                                                                                         expected=len(expected)))
    for explanation, values in alternatives.items():
        if _close(mine, values, rtol=1e-3):
            yours = _("Your numbers are {explanation}.") if isinstance(values, list) else _(
                "Your number is {explanation}.")
            lines.append(yours.format(explanation=explanation))
            break
    lines.append(_("See {section}.").format(section=section))
    return "\n".join(lines)


# --------------------------------------------------------------------------- cases

# (kind, n_embd, n_head, seed): kept small so that each test cell stays a few seconds on a laptop CPU.
GAP_VISIBLE = [("pre_ln", 16, 2, 0), ("post_ln", 16, 2, 0), ("detached_shortcut", 16, 2, 0)]
GAP_HIDDEN = [("torch_post_ln", 24, 4, 3), ("torch_pre_ln", 24, 4, 3), ("misconception_3", 16, 4, 5)]
STACK_VISIBLE = [("pre_ln", 32, 4, 0, 6), ("post_ln", 32, 4, 0, 6)]
STACK_HIDDEN = [("torch_pre_ln", 48, 4, 2, 8), ("misconception_1", 32, 4, 4, 5), ("detached_shortcut", 32, 4, 1, 6)]
CLASSIFY_VISIBLE = [(lazy("practice box {name}", name=name), kind, 32, 4, 0) for name, kind in B.PRACTICE.items()]
CLASSIFY_HIDDEN = [(lazy("hidden box {name}", name=n), *case) for n, case in enumerate([
    ("torch_pre_ln", 48, 4, 1), ("torch_post_ln", 48, 8, 2), ("misconception_2", 32, 4, 3), ("pre_ln", 64, 8, 4),
    ("misconception_1", 48, 4, 5), ("misconception_3", 64, 4, 6), ("detached_shortcut", 48, 4, 7),
    ("post_ln", 24, 4, 8)], 1)]


def _label(kind, n_embd, seed) -> str:
    return _("a black box (n_embd={n_embd}, seed {seed})").format(n_embd=n_embd, seed=seed)


def _check_gap(identity_gap, cases):
    for kind, d, h, seed in cases:
        make = B.BlockMaker(kind, d, h, seed)
        x, _probe = B.probe_inputs(d, seed, batch=1, seq_len=4)
        mine = _number(call(identity_gap, make(0), x.clone()), "identity_gap")
        expected = B.identity_gap(make(0), x)
        if not _close(mine, expected):
            raise AssertionError(_explain(_("identity gap"), _label(kind, d, seed), mine, expected,
                                          gap_alternatives(make(0), x), S.IDENTITY_PATH))
    return _("{n_cases} blocks match the course's identity gap").format(n_cases=len(cases))


def _check_stream(stream_sizes, cases):
    for kind, d, h, seed, n_layer in cases:
        make = B.BlockMaker(kind, d, h, seed)
        x, _probe = B.probe_inputs(d, seed)
        mine = _numbers(call(stream_sizes, [make(i) for i in range(n_layer)], x.clone()), "stream_sizes")
        stack = [make(i) for i in range(n_layer)]
        expected = B.stream_sizes(stack, x)
        if not _close(mine, expected):
            label = _("{n_layer} stacked copies of {box}").format(n_layer=n_layer, box=_label(kind, d, seed))
            raise AssertionError(_explain(_("stream sizes"), label,
                                          mine, expected, stream_alternatives(stack, x), S.RESIDUAL_STREAM))
    return _("{n_cases} stacks match the course's stream sizes").format(n_cases=len(cases))


def _check_ratio(gradient_ratio, cases):
    for kind, d, h, seed, n_layer in cases:
        make = B.BlockMaker(kind, d, h, seed)
        x, probe = B.probe_inputs(d, seed)
        stack = [make(i) for i in range(n_layer)]
        mine = _number(call(gradient_ratio, stack, x.clone(), probe.clone()), "gradient_ratio")
        expected = B.gradient_ratio([make(i) for i in range(n_layer)], x, probe)
        label = _("{n_layer} stacked copies of {box}").format(n_layer=n_layer, box=_label(kind, d, seed))
        if not _close(mine, expected):
            raise AssertionError(_explain(_("gradient ratio"), label, mine, expected,
                                          ratio_alternatives([make(i) for i in range(n_layer)], x, probe),
                                          S.GRADIENT_FLOW))
    return _("{n_cases} stacks match the course's gradient ratio").format(n_cases=len(cases))


RULE = {  # label -> the measurement that decides it, in words
    "detached_shortcut": lazy("the gradient ratio last/first is astronomically large (the gradient reaches the first "
                              "block only through the branches) and the identity gap is 1 (with its branches off the "
                              "block's Jacobian is 0): the shortcut carries no gradient"),
    "pre_ln": lazy("the identity gap is 0: with its branches off the block is exactly the identity, so the shortcut "
                   "is a clean identity path (and the stream grows along the stack)"),
    "post_ln": lazy("the identity gap is not 0 (a LayerNorm sits on the shortcut) and every x_l of the stack has "
                    "||x_l||^2/d = 1: every block ends in a LayerNorm"),
    "misconception_1": lazy("the identity gap is not 0, the stream is not pinned at 1, and a 3x larger input gives "
                            "exactly the same stream: the block sees only ln(x), the shortcut starts after the "
                            "LayerNorm"),
    "misconception_3": lazy("the identity gap is not 0, the stream is not pinned at 1, and a 3x larger input changes "
                            "the stream: the LayerNorm is on the shortcut, the branch sees the raw x"),
}
LABEL_SECTION = {"detached_shortcut": S.DETACHED_PATHS, "pre_ln": S.IDENTITY_PATH, "post_ln": S.POST_LN_BLOCK,
                 "misconception_1": S.MISCONCEPTION_1, "misconception_3": S.MISCONCEPTION_3}


# What a classifier must not read: the box's insides (its class, its fields, its submodules).
PEEKING_ATTRIBUTES = {"body", "knobs", "halves", "layer", "__class__", "__dict__", "__closure__", "__code__",
                      "_modules", "_run", "_params", "_branches", "_copy", "_kind", "label", "reveal",
                      "modules", "named_modules", "children", "named_children", "state_dict", "getsource"}
PEEKING_CALLS = {"type", "vars"}


def peeking(what) -> str:
    return _("classify reads the black box instead of measuring it ({what}): a classifier may use only block(x), "
             "block.branch_outputs(), block.parameters() and block.n_embd, and decide from the three measurements. "
             "The hidden boxes are other classes, so what a box's insides say is not an answer.").format(what=what)


def fixed_width(error) -> str:
    return _("your classify assumes width 32 (the practice boxes' width); the hidden boxes have other widths (24 to "
             "64): read the width from the box, make_block(0).n_embd, and build your inputs at that width "
             "(probe_inputs(make_block(0).n_embd)). The error was {error}").format(error=error)


def peeks(fn) -> list[str]:
    """What in ``fn``'s source reads a box's insides (``.body``, ``type(...)``...); [] when its source is unknown."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PEEKING_ATTRIBUTES:
            found.append(f".{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PEEKING_CALLS:
            found.append(f"{node.func.id}(...)")
    return sorted(set(found))


def _check_classify(classify, cases):
    found = peeks(classify)
    assert not found, peeking(", ".join(found))
    for name, kind, d, h, seed in cases:
        make = B.BlockMaker(kind, d, h, seed)
        try:
            answer = call(classify, make.hidden())
        except StudentCodeError as err:
            if "'BlackBox' object has no attribute" in str(err):
                raise AssertionError(peeking(err)) from None
            if d != 32 and re.search(r"shape|size|dimension", str(err)):
                raise AssertionError(fixed_width(err)) from None
            raise
        assert answer in B.LABELS, (
            _("classify must return one of {labels}; for {name} it returned {answer!r}.").format(
                labels=", ".join(map(repr, B.LABELS)), name=name, answer=answer))
        if answer != make.label:
            m = B.measure(make)
            lines = [_("{box} (n_embd={n_embd}, seed {seed}): you said {answer!r}; it is {label!r}: {what}.").format(
                         box=str(name)[:1].upper() + str(name)[1:], n_embd=d, seed=seed, answer=answer,
                         label=make.label, what=make.reveal()),
                     _("The course's measurements: {measurements}.").format(measurements=m),
                     _("What decides it: {rule}.").format(rule=RULE[make.label])]
            if make.kind == "misconception_2":
                lines.append(_("Misconception 2 is not a layout of its own: a Post-LN block where Pre-LN was asked. "
                               "See {section}.").format(section=S.MISCONCEPTION_2))
            lines.append(_("See {section}.").format(section=LABEL_SECTION[make.label]))
            raise AssertionError("\n".join(lines))
    return _("{n_cases} black boxes classified right").format(n_cases=len(cases))


# --------------------------------------------------------------------------- the checks


@graded(lazy("identity_gap: values"), S.IDENTITY_PATH)
def identity_gap_values(identity_gap):
    return _check_gap(identity_gap, GAP_VISIBLE)


@graded(lazy("identity_gap: more blocks and widths"), S.IDENTITY_PATH)
def identity_gap_hidden(identity_gap):
    return _check_gap(identity_gap, GAP_HIDDEN)


@graded(lazy("stream_sizes: values"), S.RESIDUAL_STREAM)
def stream_sizes_values(stream_sizes):
    return _check_stream(stream_sizes, STACK_VISIBLE)


@graded(lazy("stream_sizes: more blocks and depths"), S.RESIDUAL_STREAM)
def stream_sizes_hidden(stream_sizes):
    return _check_stream(stream_sizes, STACK_HIDDEN)


@graded(lazy("gradient_ratio: values"), S.GRADIENT_FLOW)
def gradient_ratio_values(gradient_ratio):
    return _check_ratio(gradient_ratio, STACK_VISIBLE)


@graded(lazy("gradient_ratio: more blocks and depths"), S.GRADIENT_FLOW)
def gradient_ratio_hidden(gradient_ratio):
    return _check_ratio(gradient_ratio, STACK_HIDDEN)


@graded(lazy("classify: the five black boxes"), S.DIAGNOSE)
def classify_visible(classify):
    return _check_classify(classify, CLASSIFY_VISIBLE)


@graded(lazy("classify: other blocks, widths and seeds, PyTorch's own layers"), S.DIAGNOSE)
def classify_hidden(classify):
    return _check_classify(classify, CLASSIFY_HIDDEN)


__all__ = ["identity_gap_values", "identity_gap_hidden", "stream_sizes_values", "stream_sizes_hidden",
           "gradient_ratio_values", "gradient_ratio_hidden", "classify_visible", "classify_hidden"]
