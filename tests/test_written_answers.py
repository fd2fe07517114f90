"""The model answers of the written questions (05_gradient_flow, 06_warmup) against the course's own runs.

Each test recomputes the experiment the notebook runs (same functions, same seeds) and checks
every number a model answer quotes, and every direction it states, against the result: a
change of the code that moves a number, or an edit of an answer that claims what the
measurement does not show, fails here. Phrases the course must never teach again ("balanced",
"Pre-LN needs no warmup") are refused outright.
"""

import os
import re

import nbformat
import pytest

from gpt2ln.experiments import gradient_flow
from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
DEPTHS = (6, 12, 24)
FORBIDDEN = [r"\bbalanced\b", r"about the same size", r"does not need (the )?warmup", r"needs? no warmup",
             r"without warmup\b[^.]*\bsafe", r"trains without one", r"Pre-LN does not\b"]


def answers(assignment: str) -> dict[str, str]:
    """grade_id -> the model answer (the solution cell, rubric cut off) of each written question."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata.nbgrader["grade_id"]: c.source.split("**Rubric")[0]
            for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")}


def rubric(assignment: str, grade_id: str) -> str:
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return cell.source.split("**Rubric", 1)[1] if "**Rubric" in cell.source else ""


def quoted(text: str, value: float, digits: int) -> bool:
    """Whether ``text`` quotes ``value`` rounded to ``digits`` decimals (as a whole number, not inside another)."""
    return re.search(rf"(?<![\d.]){re.escape(f'{value:.{digits}f}')}(?!\d)", text) is not None


@pytest.fixture(scope="module")
def flows():
    return {(norm, L): gradient_flow(norm, L) for norm in ("pre", "post") for L in DEPTHS}


def test_written_cells_have_a_model_answer_and_a_rubric_whose_points_add_up():
    for assignment in ("05_gradient_flow", "06_warmup"):
        nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("solution"):
                text = rubric(assignment, meta["grade_id"])
                assert text, f"{assignment}/{meta['grade_id']}: no rubric"
                assert f"({meta['points']} points)" in text.split("\n")[0]
                assert len(re.findall(r"^- 1 point", text, re.MULTILINE)) == meta["points"]
                guide = " ".join((REPO / "book" / "instructor" / "guide.md").read_text().split())
                assert f"**`{meta['grade_id']}`** ({meta['points']} points)" in guide
                for criterion in re.split(r"^- ", text, flags=re.MULTILINE)[1:]:
                    assert " ".join(criterion.split()) in guide, (
                        f"the instructor guide's rubric of {assignment}/{meta['grade_id']} differs from the "
                        f"solution cell's: {criterion[:60]!r}...")


@pytest.mark.parametrize("assignment", ["05_gradient_flow", "06_warmup"])
def test_no_model_answer_repeats_a_retracted_claim(assignment):
    for grade_id, text in answers(assignment).items():
        for pattern in FORBIDDEN:
            assert not re.search(pattern, text, re.IGNORECASE), f"{assignment}/{grade_id} says {pattern!r}"


def test_gradient_model_answer_quotes_the_measured_profiles(flows):
    text = answers("05_gradient_flow")["written_gradients"]
    pre = [flows["pre", L].top_bottom_ratio for L in DEPTHS]
    post = [flows["post", L].top_bottom_ratio for L in DEPTHS]
    for value in pre + post:
        assert quoted(text, value, 2), f"the answer does not quote the measured top/bottom ratio {value:.2f}"
    last_pre = [flows["pre", L].last_grad_norm for L in DEPTHS]
    last_post = [flows["post", L].last_grad_norm for L in DEPTHS]
    for value in last_pre + last_post:
        assert quoted(text, value, 2), f"the answer does not quote the measured last-layer gradient {value:.2f}"
    assert quoted(text, last_post[-1] / last_pre[-1], 1)
    assert quoted(answers("06_warmup")["written_why"], last_post[-1] / last_pre[-1], 1)  # "3.7 times at 24 layers"
    # the directions the answer states
    assert "fall toward the top" in text and pre[0] > pre[1] > pre[2] and pre[0] < 1
    assert "rises toward the output at $L$ = 24" in text and post[0] < 1 and post[1] < 1 and post[2] > 1
    assert "at every depth it puts more of its" in text and all(b > a for a, b in zip(pre, post, strict=True))
    assert "does not\nshrink" in text or "does not shrink" in text
    assert max(last_post) / min(last_post) < 1.25
    assert "halved from 6 to 24 layers" in text and 0.4 < last_pre[-1] / last_pre[0] < 0.6
    assert "needs *less* warmup, not\nnone" in text or "needs *less* warmup, not none" in text


def test_lemma2_model_answer_quotes_the_measured_stream(flows):
    text = answers("05_gradient_flow")["written_lemma2"]
    assert all(abs(v - 1) < 0.005 for L in DEPTHS for v in flows["post", L].hidden_norms[1:])  # "pinned at 1.00"
    assert "pinned at" in text and quoted(text, 1.0, 2)
    for L in DEPTHS:
        assert quoted(text, flows["pre", L].hidden_norms[-1], 1), f"x_L of the {L}-layer Pre-LN stack"
        assert quoted(text, flows["pre", L].hidden_norms[0], 1)
    slopes = [(flows["pre", L].hidden_norms[-1] - flows["pre", L].hidden_norms[0]) / L for L in DEPTHS]
    assert quoted(text, min(slopes), 2) and quoted(text, max(slopes), 2)
    assert "near the lower dotted line" in text and all(abs(s - 0.5) < 0.15 for s in slopes)


@pytest.mark.slow
def test_warmup_model_answers_quote_the_measured_runs():
    """The four runs of 06_warmup at the book's settings (one to two minutes on a laptop CPU)."""
    from gpt2ln import experiments
    from gpt2ln.data import load_corpus

    if os.environ.get("GPT2LN_QUICK") == "1":
        pytest.skip("the quick runs are too short to show anything")
    runs = experiments.compare(experiments.LR, experiments.WARMUP_STEPS, seed=0, text=load_corpus(),
                               **experiments.DEFAULTS)
    loss = {key: run.val_loss for key, run in runs.items()}
    pre0, prew = loss["pre", 0], loss["pre", experiments.WARMUP_STEPS]
    post0, postw = loss["post", 0], loss["post", experiments.WARMUP_STEPS]
    unigram = experiments.unigram_loss()
    curves = answers("06_warmup")["written_curves"]
    quoted_losses = re.search(r"Pre-LN (\d\.\d\d) without warmup, (\d\.\d\d) with;\s+Post-LN (\d\.\d\d) without, "
                              r"(\d\.\d\d) with", curves)
    assert quoted_losses, "the answer quotes the four validation losses in its fixed sentence"
    # the run is seeded, but threads and library versions move the second decimal
    for said, measured in zip(map(float, quoted_losses.groups()), (pre0, prew, post0, postw), strict=True):
        assert abs(said - measured) < 0.04, f"the answer says {said}, the run gives {measured:.3f}"
    assert quoted(curves, unigram, 2)
    # the directions it states
    assert abs(post0 - unigram) < 0.15  # "stalls near the unigram loss"
    assert post0 > max(pre0, prew, postw) + 0.3  # "Post-LN without warmup does clearly worse"
    assert abs(postw - prew) < 0.2  # "Post-LN with warmup ends close to Pre-LN"
    assert prew < pre0 and pre0 - prew < (post0 - postw) / 3  # "for Pre-LN warmup is a small refinement"
    assert not any(run.diverged for key, run in runs.items() if key[0] == "pre")
