"""Fast checks of the assignments without running them: the contract's grade_ids, nbgrader
metadata, hidden tests, a fresh release, and the library of mistakes."""

import contextlib
import functools
import io
import json
import math
import re

import nbformat
import pytest
import torch
import torch.nn as nn

import gpt2ln
import gpt2ln.experiments
from autograder.profile import current
from autograder.release import assignments, stale
from gpt2ln.grading import checks
from gpt2ln.grading.flow_checks import measurement_setup
from gpt2ln.grading.mistakes import BLOCKS, FORMULA, HALVES, MISTAKES, BlockVariant, block_candidates
from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
# What each assignment asks for (../shared/course-contract.md, "Assignments"), as the course profile declares it
CONTRACT_ANSWERS = {name: asked.answers for name, asked in current().assignments.items()}


def cells(assignment, folder="solutions"):
    return nbformat.read(REPO / folder / assignment / f"{assignment}.ipynb", as_version=4).cells


def test_every_assignment_of_the_contract_has_a_source_and_a_release():
    assert assignments() == sorted(CONTRACT_ANSWERS)
    for a in CONTRACT_ANSWERS:
        assert (REPO / "notebooks" / a / f"{a}.ipynb").exists()


@pytest.mark.parametrize("assignment", sorted(CONTRACT_ANSWERS))
def test_answer_cells_follow_the_contract(assignment):
    answers = {c.metadata.nbgrader["grade_id"]: c for c in cells(assignment)
               if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    for grade_id, name in CONTRACT_ANSWERS[assignment].items():
        assert grade_id in answers, f"{assignment}: no answer cell {grade_id}"
        assert f"{'class' if name[0].isupper() else 'def'} {name}" in answers[grade_id].source
    for cell in answers.values():
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.mark.parametrize("assignment", sorted(CONTRACT_ANSWERS))
def test_test_cells_are_locked_have_points_and_hidden_tests(assignment):
    tests = [c for c in cells(assignment) if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert len(tests) >= 3
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta["locked"] and meta["points"] > 0 and meta["schema_version"] == 3
        assert "gpt2ln" in cell.source or "checks." in cell.source
        assert "solutions" not in cell.source, "test cells must not read the solutions (students do not have them)"
    assert any("### BEGIN HIDDEN TESTS" in c.source for c in tests), f"{assignment} has no hidden tests"
    released = "\n".join(c.source for c in cells(assignment, "notebooks"))
    assert "BEGIN HIDDEN TESTS" not in released and "BEGIN SOLUTION" not in released
    assert "checks.summary()" in cells(assignment)[-1].source


def test_written_answers_are_manually_graded_where_the_contract_asks():
    for assignment in ("05_gradient_flow", "06_warmup"):
        written = [c for c in cells(assignment) if c.cell_type == "markdown"
                   and c.metadata.get("nbgrader", {}).get("grade")]
        assert len(written) >= 2 and all(c.metadata.nbgrader["solution"] for c in written)


@pytest.mark.slow
def test_release_notebooks_are_not_stale():
    """notebooks/ must be what `nbgrader generate_assignment` makes of solutions/ today."""
    assert stale() == [], "run `python -m autograder release` (make release) and commit notebooks/"


def _run_checks(component, student, kinds=("forward", "gradients", "properties", "hidden")):
    failures = []
    for kind in kinds:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                getattr(checks, f"{component}_{kind}")(student)
        except AssertionError as err:
            failures.append(str(err))
    return failures


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_every_known_mistake_is_caught_and_named(key):
    """Each variant of the library, submitted as is, fails a check whose message names it."""
    mistake = MISTAKES[key]
    student = mistake.build() if mistake.component == "gelu" else mistake.build
    failures = _run_checks(mistake.component, student, ("forward",))
    if not failures:  # forward identical: the gradients must tell
        failures = _run_checks(mistake.component, student, ("gradients",))
    assert failures, f"{key} passed the forward and gradient checks"
    assert any(mistake.title in message for message in failures), failures


def test_misconceptions_are_named_by_number():
    for key, number in [("residual_after_ln", 1), ("post_ln_instead_of_pre_ln", 2), ("ln_on_shortcut", 3),
                        ("normalised_stream", 3), ("pre_ln_instead_of_post_ln", 2)]:
        assert MISTAKES[key].misconception == number
        assert MISTAKES[key].message().startswith(f"Misconception {number}:")


def test_the_reference_passes_every_check():
    import gpt2ln

    for component, reference in [("layernorm", gpt2ln.LayerNorm), ("gelu", gpt2ln.gelu), ("mlp", gpt2ln.MLP),
                                 ("attention", gpt2ln.CausalSelfAttention), ("pre_ln_block", gpt2ln.PreLNBlock),
                                 ("post_ln_block", gpt2ln.PostLNBlock), ("gpt2", gpt2ln.GPT2)]:
        assert _run_checks(component, reference) == [], component


def test_measurement_setup_is_the_batch_gradient_flow_measures():
    from gpt2ln.experiments import gradient_flow
    from gpt2ln.model import lm_loss

    model, idx, targets = measurement_setup("post", 3, seed=4)
    lm_loss(model(idx), targets).backward()
    mine = [b.mlp.c_proj.weight.grad.norm().item() for b in model.h]
    assert mine == pytest.approx(gradient_flow("post", 3, seed=4).grad_norms, rel=1e-6)


def test_summary_lists_the_checks_that_ran(monkeypatch):
    import IPython

    from gpt2ln.grading.report import RESULTS

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # no shell left by another test: only RESULTS count
    RESULTS.clear()
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            checks.gelu_forward(torch.relu)
        except AssertionError:
            pass
        checks.gelu_properties(lambda x: 0.5 * x * (1 + torch.tanh(0.7978845608 * (x + 0.044715 * x**3))))
        table = checks.summary()
    assert "FAILED  gelu: forward" in table and "PASSED  gelu: properties" in table
    assert "1 of 2 checks passed" in table
    json.dumps({k: v.message for k, v in RESULTS.items()})  # the messages are plain text


# --------------------------------------------------------------------------- issue 12: messages that do not mislead

ADVICE = re.compile(r"\bx = ([^.;]+)")  # a formula a message recommends, in its notation (x, ln, f)


class FormulaBlock(nn.Module):
    """A block whose two halves are functions of (x, ln, f), as the messages write them."""

    def __init__(self, cfg, attn_half, mlp_half):
        super().__init__()
        self.ln_1 = gpt2ln.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = gpt2ln.CausalSelfAttention(cfg)
        self.ln_2 = gpt2ln.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = gpt2ln.MLP(cfg)
        self.halves = (attn_half, mlp_half)

    def forward(self, x):
        x = self.halves[0](x, self.ln_1, self.attn)
        return self.halves[1](x, self.ln_2, self.mlp)


@pytest.mark.parametrize("target", ["pre", "post"])
def test_block_messages_recommend_the_formula_of_their_own_block(target):
    """A PostLNBlock is never told to write Pre-LN's x = x + f(ln(x)), nor a PreLNBlock Post-LN's, unless the
    message names the mix-up as Misconception 2 (every mix of half-block mistakes the diagnosis can report)."""
    other = FORMULA["post" if target == "pre" else "pre"]
    for mistake in block_candidates(target):
        message = mistake.message()
        assert other not in message or "Misconception 2" in message, message
        assert all(formula == FORMULA[target].removeprefix("x = ") for formula in ADVICE.findall(
            mistake.explanation)), message


def test_post_ln_block_with_the_residual_around_the_layernorm_gets_post_ln_advice():
    """The issue's example: x = x + ln_1(attn(x)) written for PostLNBlock."""
    wrong = functools.partial(FormulaBlock, attn_half=HALVES["ln_after_sublayer"], mlp_half=HALVES["ln_after_sublayer"])
    failures = _run_checks("post_ln_block", wrong)
    assert failures and all(FORMULA["pre"] not in message for message in failures), failures
    assert any(FORMULA["post"] in message for message in failures), failures


FIXABLE = [key for key, m in BLOCKS.items() if ADVICE.search(m.explanation)]


@pytest.mark.parametrize("key", FIXABLE)
def test_following_a_block_message_fixes_the_block(key):
    """Submit the wrong block, read the formula the feedback recommends, write it in the wrong halves: it passes."""
    mistake = BLOCKS[key]
    component, target = mistake.component, mistake.component.split("_")[0]
    knobs = mistake.knobs
    wrong = functools.partial(BlockVariant, knobs=knobs)
    failures = _run_checks(component, wrong, ("forward", "gradients"))
    assert failures
    advice = {formula for message in failures for formula in ADVICE.findall(message.split(mistake.title)[-1])}
    assert len(advice) == 1, failures  # one formula, the target's
    fix = {FORMULA[t].removeprefix("x = "): HALVES[t] for t in ("pre", "post")}[advice.pop()]
    halves = [fix if half != target else HALVES[target] for half in (knobs.attn_half, knobs.mlp_half)]
    assert _run_checks(component, functools.partial(FormulaBlock, attn_half=halves[0], mlp_half=halves[1])) == []


IN_PLACE_BLOCK = '''
class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1, self.attn = gpt2ln.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon), gpt2ln.CausalSelfAttention(cfg)
        self.ln_2, self.mlp = gpt2ln.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon), gpt2ln.MLP(cfg)

    def forward(self, x):
        x += self.attn(self.ln_1(x))
        x += self.mlp(self.ln_2(x))
        return x
'''


def _define(source: str):
    namespace = {"nn": nn, "gpt2ln": gpt2ln}
    exec(source, namespace)  # noqa: S102 (a student's answer cell)
    return namespace["Block"]


def test_following_the_in_place_message_fixes_the_block():
    failures = _run_checks("pre_ln_block", _define(IN_PLACE_BLOCK))
    assert len(failures) == 4 and all("changed its input in place" in message for message in failures), failures
    assert all("write `x = x + ...`" in message for message in failures)
    assert _run_checks("pre_ln_block", _define(IN_PLACE_BLOCK.replace("x += ", "x = x + "))) == []


def test_every_message_names_what_is_wrong_for_other_kinds_of_mistakes():
    """A tuple returned, weight/bias as plain tensors, F.layer_norm, a schedule rising after its end, positional
    arguments: each is said in words (not a raw AttributeError) and points to the book."""

    class TupleBlock(FormulaBlock):
        def forward(self, x):
            return super().forward(x), None

    class PlainLayerNorm(nn.Module):
        def __init__(self, n_embd, eps=1e-5):
            super().__init__()
            self.eps, self.weight, self.bias = eps, torch.ones(n_embd), torch.zeros(n_embd)

        def forward(self, x):
            return torch.nn.functional.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)

    def rising(step, *, base_lr, warmup_steps, total_steps):
        if step < warmup_steps:
            return base_lr * step / warmup_steps
        p = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.1 * base_lr + 0.45 * base_lr * (1 + math.cos(math.pi * p))

    def positional(step, base_lr, warmup_steps, total_steps):
        return gpt2ln.experiments.lr_at(step, base_lr=base_lr, warmup_steps=warmup_steps, total_steps=total_steps)

    tuple_block = functools.partial(TupleBlock, attn_half=HALVES["pre"], mlp_half=HALVES["pre"])
    cases = [("pre_ln_block", tuple_block, ("forward", "properties"), "returned a tuple (Tensor, NoneType)"),
             ("layernorm", PlainLayerNorm, ("forward", "properties"), "but as plain tensors, not nn.Parameter"),
             ("schedule", rising, ("values", "properties"), "rises again"),
             ("schedule", positional, ("properties",), "keyword-only")]
    for component, student, kinds, phrase in cases:
        failures = _run_checks(component, student, kinds)
        assert len(failures) == len(kinds), (component, failures)
        assert all(phrase in message and "See " in message for message in failures), failures
    with_library_call = _run_checks("layernorm", functools.partial(FormulaLayerNorm, library=True), ("properties",))
    assert len(with_library_call) == 1 and "calls PyTorch's own layer norm" in with_library_call[0]


class FormulaLayerNorm(nn.Module):
    def __init__(self, n_embd, eps=1e-5, library=False):
        super().__init__()
        self.eps, self.library = eps, library
        self.weight, self.bias = nn.Parameter(torch.ones(n_embd)), nn.Parameter(torch.zeros(n_embd))

    def forward(self, x):
        if self.library:
            return torch.nn.functional.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)
        var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


def test_config_fields_are_varied_and_named_when_ignored():
    """bias=False, layer_norm_epsilon and dropout in training mode: code that ignores one is told which."""

    class HardCodedEps(FormulaBlock):
        def __init__(self, cfg):
            super().__init__(cfg, HALVES["pre"], HALVES["pre"])
            self.ln_1, self.ln_2 = gpt2ln.LayerNorm(cfg.n_embd), gpt2ln.LayerNorm(cfg.n_embd)

    class NoBiasMLP(gpt2ln.MLP):
        def __init__(self, cfg):
            super().__init__(cfg)
            self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
            self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    eps = _run_checks("pre_ln_block", HardCodedEps, ("forward",))
    assert eps and "ignores cfg.layer_norm_epsilon (here 0.1)" in eps[0]
    bias = _run_checks("mlp", NoBiasMLP, ("forward", "hidden"))
    assert len(bias) == 1 and "ignores cfg.bias" in bias[0]
    dropout_before = _run_checks("mlp", MISTAKES["mlp_dropout_before_proj"].build, ("forward", "properties"))
    assert len(dropout_before) == 2 and all("before c_proj" in message for message in dropout_before)
