"""Checks that compare a component with the reference: forward, gradients, and more cases.

Each check builds the student's module and the reference with the same random weights,
runs both on inputs chosen to expose known bugs, and compares outputs (``*_forward``),
gradients (``*_gradients``), properties that need no reference (``*_properties``) or all
of it again on more shapes, other configs and in float64 (``*_hidden``). A case may vary
the config (``bias=False``, ``layer_norm_epsilon``, ``dropout``) and run in training mode,
where the reference and the student's module draw the same dropout masks. On a failure the
message says what differs, which known mistake the submission matches (``diagnose``), or
which config field it ignores, and where the book explains it.
"""

import copy
import hashlib

import torch
import torch.nn as nn

from .. import GPTConfig, LayerNorm
from . import sections as S
from .compare import Run, compare, copy_weights, randomise, run
from .harness import Case, build, graded, repeatable, small_config
from .i18n import _, lazy
from .mistakes import BlockKnobs, Explanation, Mistake, candidates, reference_for

# --------------------------------------------------------------------------- cases


def _normal(*shape, scale=1.0, shift=0.0):
    return lambda g: torch.randn(*shape, generator=g) * scale + shift


def _layernorm_rows(n: int):
    """Rows that expose LayerNorm bugs: ordinary rows, rows of tiny variance (eps), a constant row."""

    def make(g):
        ordinary = torch.randn(3, n, generator=g) * 2 + 0.5
        tiny = torch.randn(3, n, generator=g) * torch.tensor([[1e-3], [3e-3], [1e-2]]) + 1e-3  # var ~ eps
        constant = torch.full((1, n), 0.25)
        return torch.cat([ordinary, tiny, constant]).view(1, 7, n)  # (1, 7, n)

    return make


CASES = {
    "layernorm": {
        "visible": [
            Case(lazy("n_embd=8, input (2, 5, 8)"), (8,), _normal(2, 5, 8, scale=2.0, shift=0.5)),
            Case(lazy("n_embd=4, input (3, 4)"), (4,), _normal(3, 4, scale=1.5)),
            Case(lazy("n_embd=16, rows of tiny variance and a constant row"), (16,), _layernorm_rows(16)),
            Case(lazy("n_embd=8, eps=1e-2, rows of small variance"), (8, 1e-2), _normal(2, 3, 8, scale=0.1)),
        ],
        "hidden": [
            Case(lazy("n_embd=768, input (1, 3, 768)"), (768,), _normal(1, 3, 768, scale=3.0, shift=-1.0)),
            Case(lazy("n_embd=6, 4-D input (2, 2, 3, 6)"), (6,), _normal(2, 2, 3, 6)),
            Case(lazy("float64, n_embd=5"), (5,), _normal(4, 5, scale=2.0), torch.float64),
            Case(lazy("float64, tiny variance"), (12,), _layernorm_rows(12), torch.float64),
        ],
    },
    "gelu": {
        "visible": [
            Case(lazy("x from -6 to 6"), (), lambda g: torch.linspace(-6, 6, 241)),
            Case(lazy("input (2, 3, 4)"), (), _normal(2, 3, 4, scale=2.0)),
        ],
        "hidden": [
            Case(lazy("float64, x from -4 to 4"), (), lambda g: torch.linspace(-4, 4, 161, dtype=torch.float64),
                 torch.float64),
            Case(lazy("large |x|"), (), lambda g: torch.tensor([-30.0, -12.0, -8.0, 8.0, 12.0, 30.0])),
        ],
    },
    "mlp": {
        "visible": [
            Case(lazy("n_embd=8, input (2, 3, 8)"), (small_config(8, 2),), _normal(2, 3, 8, scale=2.0)),
            Case(lazy("n_embd=12, input (1, 4, 12)"), (small_config(12, 3),), _normal(1, 4, 12, scale=2.0)),
            Case(lazy("training mode, dropout=0.5, input (2, 3, 8)"), (small_config(8, 2, dropout=0.5),),
                 _normal(2, 3, 8, scale=2.0), train=True),
        ],
        "hidden": [
            Case(lazy("n_embd=32, input (2, 5, 32)"), (small_config(32, 4),), _normal(2, 5, 32, scale=2.0)),
            Case(lazy("float64, n_embd=8"), (small_config(8, 2),), _normal(2, 3, 8, scale=2.0), torch.float64),
            Case(lazy("bias=False, n_embd=8"), (small_config(8, 2, bias=False),), _normal(2, 3, 8, scale=2.0)),
            Case(lazy("training mode, dropout=0.1, n_embd=16"), (small_config(16, 2, dropout=0.1),),
                 _normal(2, 4, 16, scale=2.0), train=True),
        ],
    },
    "attention": {  # its dropouts are checked by their p = 1 limits (properties): correct code that loops over
        "visible": [  # the heads draws its dropout masks in another order than the reference
            Case(lazy("n_embd=8, n_head=2, input (2, 5, 8)"), (small_config(8, 2),), _normal(2, 5, 8, scale=2.0)),
            Case(lazy("n_embd=12, n_head=3, input (1, 7, 12)"), (small_config(12, 3),), _normal(1, 7, 12, scale=2.0)),
        ],
        "hidden": [
            Case(lazy("n_embd=16, one head, input (2, 6, 16)"), (small_config(16, 1),), _normal(2, 6, 16)),
            Case(lazy("n_embd=16, n_head=4, one token"), (small_config(16, 4),), _normal(3, 1, 16)),
            Case(lazy("float64, n_embd=16, n_head=8, input (2, 9, 16)"),
                 (small_config(16, 8),), _normal(2, 9, 16, scale=2.0),
                 torch.float64),
            Case(lazy("bias=False, n_embd=12, n_head=3"), (small_config(12, 3, bias=False),), _normal(2, 5, 12)),
        ],
    },
    "pre_ln_block": {
        "visible": [
            Case(lazy("n_embd=8, n_head=2, input (2, 5, 8)"),
                 (small_config(8, 2),), _normal(2, 5, 8, scale=1.5, shift=0.3)),
            Case(lazy("n_embd=12, n_head=3, input (1, 6, 12)"), (small_config(12, 3),), _normal(1, 6, 12, scale=3.0)),
            Case(lazy("layer_norm_epsilon=0.1, input of small variance"), (small_config(8, 2, layer_norm_epsilon=0.1),),
                 _normal(2, 5, 8, scale=0.2)),
        ],
        "hidden": [
            Case(lazy("n_embd=16, n_head=4, input (2, 9, 16)"), (small_config(16, 4),), _normal(2, 9, 16, scale=2.0)),
            Case(lazy("one token"), (small_config(8, 2),), _normal(3, 1, 8)),
            Case(lazy("float64, n_embd=8, n_head=2"),
                 (small_config(8, 2),), _normal(2, 5, 8, scale=1.5), torch.float64),
            Case(lazy("training mode, dropout=0.2"), (small_config(8, 2, dropout=0.2),), _normal(2, 5, 8, scale=1.5),
                 train=True),
        ],
    },
}
CASES["post_ln_block"] = CASES["pre_ln_block"]

NAMES = {"layernorm": "LayerNorm", "gelu": "gelu", "mlp": "MLP", "attention": "CausalSelfAttention",
         "pre_ln_block": "PreLNBlock", "post_ln_block": "PostLNBlock", "gpt2": "GPT2"}


# --------------------------------------------------------------------------- running one case


def _prepare(component: str, student, case: Case):
    """(reference, student) ready to run: same weights, same dtype, eval mode (train mode for a ``train`` case)."""
    if component == "gelu":
        return reference_for(component), student
    reference = randomise(reference_for(component)(*case.args), seed=case.seed)
    mine = build(student, *case.args)
    if not isinstance(mine, nn.Module):
        raise AssertionError(_("{name}(...) should build an nn.Module, got a {kind}.").format(
            name=NAMES[component], kind=type(mine).__name__))
    shared = _shared_parameters(mine) - _shared_parameters(reference)
    if shared:
        first, second = min(shared, key=lambda pair: (not pair[0].endswith("weight"), pair))
        raise AssertionError(_(
            "`{first}` and `{second}` are one tensor in your {name}: one module is used in two places. "
            "`{first_module}` and `{second_module}` must be two modules with their own weights, as in the checkpoint, "
            "where they differ.").format(first=first, second=second, name=NAMES[component],
                                         first_module=first.rsplit(".", 1)[0],
                              second_module=second.rsplit(".", 1)[0]))
    try:
        copy_weights(reference, mine, NAMES[component])
    except AssertionError as err:
        if component == "gpt2" and "post" in case.args and "`ln_f." in str(err):
            raise AssertionError(_("{error}\nWith norm='post' every block already ends in a LayerNorm, so `ln_f` must "
                                   "be nn.Identity() (it has no parameters). See {section}.").format(
                error=err, section=S.GPT2_MODEL)) from None
        extra = {n for n in dict(mine.named_parameters()) if n not in dict(reference.named_parameters())}
        if not _config(case).bias and extra and all(n.endswith("bias") for n in extra):
            raise AssertionError(_("Your {name} ignores cfg.bias ({case}): with bias=False its nn.Linear layers have "
                                   "no bias, `nn.Linear(..., bias=cfg.bias)`.\n{error}").format(
                name=NAMES[component], case=case.label, error=err)) from None
        raise
    reference.to(case.dtype).train(case.train)
    mine.to(case.dtype).train(case.train)
    return reference, mine


def _shared_parameters(module: nn.Module) -> set[tuple[str, str]]:
    """Pairs of parameter names that are one tensor (``ln_2 = ln_1``; a tied ``lm_head.weight`` and ``wte.weight``)."""
    names: dict[int, list[str]] = {}
    for name, parameter in module.named_parameters(remove_duplicate=False):
        names.setdefault(id(parameter), []).append(name)
    return {(a, b) for group in names.values() for i, a in enumerate(group) for b in group[i + 1:]}


def _config(case: Case) -> GPTConfig:
    return next((a for a in case.args if isinstance(a, GPTConfig)), GPTConfig())


def _run(module, case: Case, backward: bool = True, what: str = "code") -> Run:
    """``run`` on the case's input; in a ``train`` case every module draws the same dropout masks."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(case.seed + 99)
        return run(module, case.inputs(), backward=backward, what=what)


def diagnose(component: str, case: Case, reference, student_run: Run) -> tuple[Mistake | Explanation | None, bool]:
    """The known mistake whose outputs and gradients match the student's on this case.

    Returns (mistake, gradients_match_too). A mistake that matches only the forward pass is
    returned when nothing matches both (with False).
    """
    key = (component, case.label, _fingerprint(student_run))
    if key not in _DIAGNOSES:  # the forward, gradient and hidden cells often fail on the same case
        _DIAGNOSES[key] = _diagnose(component, case, reference, student_run)
    return _DIAGNOSES[key]


_DIAGNOSES: dict = {}


def _fingerprint(result: Run) -> tuple:
    tensors = [result.output] + [g for _name, g in sorted(result.grads.items()) if g is not None]
    return tuple((tuple(t.shape), hashlib.sha1(t.detach().double().cpu().numpy().tobytes()).hexdigest())
                 for t in tensors)


def _diagnose(component: str, case: Case, reference, student_run: Run) -> tuple[Mistake | Explanation | None, bool]:
    ignored = _ignored_field(component, case, reference, student_run, "layer_norm_epsilon")
    if ignored:
        return ignored, True
    forward_only = None
    block = None  # one BlockVariant, re-wired for each block layout
    for mistake in candidates(component):
        if component == "gelu":
            variant = mistake.build()
        elif isinstance(mistake.knobs, BlockKnobs):
            if block is None:
                block = mistake.build(*case.args).to(case.dtype).train(case.train)
                block.load_state_dict(reference.state_dict(), strict=False)
            variant = block.set_knobs(mistake.knobs)
        else:
            variant = mistake.build(*case.args).to(case.dtype).train(case.train)
            variant.load_state_dict(reference.state_dict(), strict=False)
        try:
            if compare(student_run, _run(variant, case, backward=False), gradients=False):
                continue
            if not compare(student_run, _run(variant, case)):
                return mistake, True
        except Exception:  # noqa: BLE001, S112 (a variant that cannot run on this input is simply not the answer)
            continue
        forward_only = forward_only or mistake
    ignored = _ignored_field(component, case, reference, student_run, "dropout")
    return (ignored, True) if ignored else (forward_only, False)


CONFIG_ADVICE = {
    "dropout": lazy("build every nn.Dropout with it, `nn.Dropout(cfg.dropout)`"),
    "layer_norm_epsilon": lazy("pass it to every LayerNorm, `LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)`"),
}
HARD_CODED = {"layer_norm_epsilon": (1e-6, 1e-8, 1e-12)}  # values written into code instead of the field, besides
# the default: 1e-6 and 1e-12 are other libraries' LayerNorm eps


def _ignored_field(component: str, case: Case, reference, student_run: Run, name: str) -> Explanation | None:
    """An explanation when the student's code computes what the reference does with config field ``name``
    at its default or at a value often hard-coded (the case sets it to something else): in every module it
    configures, or in one group of them (``ln_f`` alone, every ``ln_1``...). The closest value is named."""
    cfg, default = _config(case), getattr(GPTConfig(), name)
    if getattr(cfg, name) == default or not isinstance(reference, nn.Module):
        return None
    kind, attribute = (nn.Dropout, "p") if name == "dropout" else (LayerNorm, "eps")
    names = [n for n, m in reference.named_modules() if isinstance(m, kind)]
    groups = {"": names} | {last: [n for n in names if n.rsplit(".", 1)[-1] == last]
                            for last in sorted({n.rsplit(".", 1)[-1] for n in names})}
    for where, members in groups.items():
        matches = []  # (largest difference of the outputs, value)
        for value in (default, *HARD_CODED.get(name, ())):
            variant = copy.deepcopy(reference)
            for member in members:
                setattr(variant.get_submodule(member), attribute, value)
            variant_run = _run(variant, case)
            if not compare(student_run, variant_run):
                matches.append(((student_run.output - variant_run.output).abs().max().item(), value))
        if matches:
            value = min(matches)[1]
            place = lazy(" in `{where}`", where=where) if where and len(groups) > 2 else ""
            computes = (lazy("the default {field}={value!r} gives", field=name, value=default) if value == default
                        else lazy("{field}={value!r} gives, a value written into your code instead of the config's",
                                  field=name, value=value))
            return Explanation(lazy("Your {name} ignores cfg.{field}{place} (here {value!r})", name=NAMES[component],
                                    field=name, place=place, value=getattr(cfg, name)),
                               lazy("It computes what {computes}: {advice}.", computes=computes,
                                    advice=CONFIG_ADVICE[name]), DEFAULT_SECTION[component])
    return None


def _feedback(component: str, case: Case, problems, diagnosis: tuple[Mistake | Explanation | None, bool],
              default) -> str:
    what = NAMES[component]
    mistake, both = diagnosis
    measured = _("What the check measured:")
    if mistake is not None and both:  # the diagnosis first: it is what the student acts on
        lines = [_("Your {what} matches a known mistake. {message}").format(what=what, message=mistake.message()),
                 measured]
    elif mistake is not None:
        lines = [_("Your {what}'s outputs match a known mistake (its gradients differ from it too). {message}").format(
            what=what, message=mistake.message()), measured]
    else:
        lines = [_("Your {what} does not match any mistake we know: compare your code with the book. See {section}.")
                 .format(what=what, section=default), measured]
    first = problems[0]
    if first.where == _("the output"):
        lines.append(_("  the output differs from the reference ({case}): {detail}.").format(
            case=case.label, detail=first.detail))
    else:
        lines.append(_("  the forward pass is right, but the gradients are not ({case}):").format(case=case.label))
        lines += [f"  - {p}" for p in problems[:4]]
    return "\n".join(lines)


DEFAULT_SECTION = {"layernorm": S.LAYERNORM_STATISTICS, "gelu": S.GELU_TANH, "mlp": S.MLP,
                   "attention": S.ATTENTION, "pre_ln_block": S.PRE_LN_BLOCK, "post_ln_block": S.POST_LN_BLOCK,
                   "gpt2": S.GPT2_MODEL}


def compare_cases(component: str, student, cases: list[Case], gradients: bool) -> str:
    """Run every case; raise an ``AssertionError`` with a diagnosis at the first difference."""
    for case in cases:
        reference, mine = _prepare(component, student, case)
        expected = _run(reference, case, backward=gradients)
        actual = _run(mine, case, backward=gradients, what=NAMES[component])
        problems = compare(actual, expected, gradients=gradients)
        if problems:
            if not case.train and isinstance(mine, nn.Module):  # random in eval mode: no mistake explains that
                repeatable(mine, *case.inputs(), what=NAMES[component])
            if not gradients:  # the diagnosis compares gradients too
                actual = _run(mine, case, what=NAMES[component])
            diagnosis = diagnose(component, case, reference, actual)
            raise AssertionError(_feedback(component, case, problems, diagnosis, DEFAULT_SECTION[component]))
    dtypes = ", ".join(sorted({str(c.dtype).removeprefix("torch.") for c in cases}))
    if gradients:
        return _("outputs and gradients match the reference on {count} cases ({dtypes})").format(count=len(cases),
                                                                                               dtypes=dtypes)
    return _("outputs match the reference on {count} cases ({dtypes})").format(count=len(cases), dtypes=dtypes)


def _component_checks(component: str, title: str):
    """forward, gradients and hidden checks of one component (properties are written per component)."""

    @graded(lazy("{name}: forward", name=title), DEFAULT_SECTION[component])
    def forward(student):
        return compare_cases(component, student, CASES[component]["visible"], gradients=False)

    @graded(lazy("{name}: gradients", name=title), DEFAULT_SECTION[component])
    def gradients(student):
        return compare_cases(component, student, CASES[component]["visible"], gradients=True)

    @graded(lazy("{name}: more shapes and float64", name=title), DEFAULT_SECTION[component])
    def hidden(student):
        return compare_cases(component, student, CASES[component]["hidden"], gradients=True)

    return forward, gradients, hidden


layernorm_forward, layernorm_gradients, layernorm_hidden = _component_checks("layernorm", "LayerNorm")
gelu_forward, gelu_gradients, gelu_hidden = _component_checks("gelu", "gelu")
mlp_forward, mlp_gradients, mlp_hidden = _component_checks("mlp", "MLP")
attention_forward, attention_gradients, attention_hidden = _component_checks("attention", "CausalSelfAttention")
pre_ln_block_forward, pre_ln_block_gradients, pre_ln_block_hidden = _component_checks("pre_ln_block", "PreLNBlock")
post_ln_block_forward, post_ln_block_gradients, post_ln_block_hidden = _component_checks("post_ln_block",
                                                                                         "PostLNBlock")
