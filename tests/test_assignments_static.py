"""Fast checks of the assignments without running them: the contract's grade_ids, nbgrader
metadata, hidden tests, a fresh release, and the library of mistakes."""

import contextlib
import io
import json
from pathlib import Path

import nbformat
import pytest
import torch

from gpt2ln.grading import checks
from gpt2ln.grading.flow_checks import measurement_setup
from gpt2ln.grading.mistakes import MISTAKES
from gpt2ln.grading.release import assignments, stale

REPO = Path(__file__).resolve().parent.parent
CONTRACT_ANSWERS = {  # ../shared/course-contract.md, "Assignments"
    "01_layernorm": {"layernorm": "LayerNorm", "gelu": "gelu", "mlp": "MLP"},
    "02_attention": {"attention": "CausalSelfAttention"},
    "03_blocks": {"pre_ln_block": "PreLNBlock", "post_ln_block": "PostLNBlock"},
    "04_gpt2": {"gpt2_model": "GPT2", "load_hf": "load_hf_state_dict"},
    "05_gradient_flow": {},
    "06_warmup": {},
}


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
    assert stale() == [], "run `python -m gpt2ln.grading.release` (make release) and commit notebooks/"


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


def test_summary_lists_the_checks_that_ran():
    from gpt2ln.grading.report import RESULTS

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
