"""07_diagnose without nbgrader: the black boxes are separable by the three measurements, with
margins; they hide what they are; and each check names the slip of a wrong measuring function
and the measurement that decides a wrong label. The nbgrader runs are in test_assignments.py."""

import copy
import math

import pytest
import torch

from gpt2ln.experiments.gradient_flow import identity_jacobian_gap
from gpt2ln.experiments.threads import torch_threads
from gpt2ln.grading import blackbox as B
from gpt2ln.grading import diagnose_checks as C

GRADED = [k for k in B.KINDS if k != "normalised_stream"]


@pytest.fixture(autouse=True)
def one_thread():
    with torch_threads(1):
        yield


@pytest.mark.parametrize("kind", list(B.KINDS))
def test_every_kind_is_classified_by_its_measurements_at_other_widths_and_seeds(kind):
    for n_embd, n_head, seed in ((24, 4, 11), (40, 8, 12), (64, 4, 13)):
        make = B.BlockMaker(kind, n_embd, n_head, seed)
        assert B.classify(make) == make.label, (kind, n_embd, seed, str(B.measure(make)))


@pytest.mark.parametrize("kind", GRADED)
def test_the_rules_have_room_to_spare(kind):
    """Each measurement is far from the threshold that decides it (the thresholds of blackbox.py)."""
    for seed in (0, 1):
        m = B.measure(B.BlockMaker(kind, 32, 4, seed))
        label = B.KINDS[kind].label
        if label == "pre_ln":
            assert m.gap < B.CLEAN_GAP / 100 and m.ratio < 2 and m.sizes[-1] > 1.5 * m.sizes[0]
        elif label == "detached_shortcut":
            assert m.gap > 0.999 and m.ratio > 100 * B.VANISHED
        else:
            assert 0.1 < m.gap < 0.9 and m.ratio < 3
            deviation = max(abs(s - 1) for s in m.sizes[1:])
            change = max(abs(a - b) / b for a, b in zip(m.sizes_3x[1:], m.sizes[1:], strict=True))
            if label == "post_ln":
                assert deviation < B.PINNED / 10
            else:
                assert min(abs(s - 1) for s in m.sizes[1:]) > 10 * B.PINNED
                assert (change < B.SCALE_BLIND / 10) if label == "misconception_1" else (change > 100 * B.SCALE_BLIND)


def test_a_black_box_does_not_say_what_it_is():
    for kind in B.KINDS:
        make = B.BlockMaker(kind, 32, 4, 0)
        box = make(0)
        for text in (repr(box), repr(make), str(B.practice_boxes())):
            assert not any(word in text for word in ("Pre", "Post", "Encoder", "Variant", "mis", "detach")), text
        assert len(box.branch_outputs()) == 2 and all(isinstance(m, torch.nn.Linear) for m in box.branch_outputs())
        x = torch.randn(2, 5, 32)
        assert box(x).shape == x.shape


def test_a_black_box_has_no_attribute_or_submodule_that_names_its_kind():
    for kind in B.KINDS:
        make_block = B.BlockMaker(kind, 32, 4, 0).hidden()
        box = make_block(0)
        assert not hasattr(make_block, "label") and not hasattr(make_block, "_kind")
        assert [name for name, _ in box.named_modules()] == [""] and not list(box.children())
        assert [name for name, _ in box.named_parameters()] == [str(i) for i in range(12)]
        assert all(type(m) is torch.nn.Linear for m in box.branch_outputs())
        assert not any(isinstance(v, torch.nn.Module) or hasattr(v, "knobs") for v in vars(box).values())
        for name in ("body", "knobs", "layer", "halves"):
            assert not hasattr(box, name), (kind, name)


def test_a_black_box_copies_and_trains_like_a_module():
    box, x = B.BlockMaker("post_ln", 16, 2, 0)(0), torch.randn(1, 3, 16)
    twin = copy.deepcopy(box)
    assert torch.equal(twin(x), box(x)) and twin.branch_outputs()[0].weight is not box.branch_outputs()[0].weight
    box(x).sum().backward()
    assert all(p.grad is not None for p in box.parameters())
    box.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in box.parameters())


def test_branches_off_leaves_the_block_alone_and_makes_pre_ln_the_identity():
    make = B.BlockMaker("torch_pre_ln", 32, 4, 0)
    box, x = make(0), torch.randn(1, 4, 32)
    before = box(x).detach()
    off = B.branches_off(box)
    assert torch.equal(off(x), x) and torch.equal(box(x), before)


def test_the_practice_boxes_are_one_of_each_label():
    assert sorted(B.KINDS[kind].label for kind in B.PRACTICE.values()) == sorted(B.LABELS)


def test_blocks_are_causal():
    for kind in GRADED:
        box = B.BlockMaker(kind, 32, 4, 0)(0)
        x = torch.randn(1, 6, 32)
        y = x.clone()
        y[:, -1] += 1.0
        assert torch.allclose(box(x)[:, :-1], box(y)[:, :-1], atol=1e-5), kind


# --------------------------------------------------------------------------- the checks


def failure(check, student) -> str:
    with pytest.raises(AssertionError) as err:
        check(student)
    return str(err.value)


def test_the_reference_measurements_pass_every_check():
    for check, fn in ((C.identity_gap_values, B.identity_gap), (C.identity_gap_hidden, B.identity_gap),
                      (C.stream_sizes_values, B.stream_sizes), (C.stream_sizes_hidden, B.stream_sizes),
                      (C.gradient_ratio_values, B.gradient_ratio), (C.gradient_ratio_hidden, B.gradient_ratio),
                      (C.classify_visible, B.classify), (C.classify_hidden, B.classify)):
        check(fn)


def gap_branches_on(block, x):
    n = x.numel()
    jac = torch.autograd.functional.jacobian(block, x).reshape(n, n)
    return ((jac - torch.eye(n)).norm() / math.sqrt(n)).item()


@pytest.mark.parametrize(("wrong", "check", "expected"), [
    (gap_branches_on, C.identity_gap_values, "branches still on"),
    (lambda b, x: B.identity_gap(b, x) * math.sqrt(x.numel()), C.identity_gap_values, "not divided by ||I||_F"),
    (lambda b, x: B.identity_gap(b, x) ** 2, C.identity_gap_hidden, "a squared norm"),
    (lambda b, x: identity_jacobian_gap(C.weights_only_zeroed(b), x), C.identity_gap_hidden, "biases must be zero"),
    (lambda bs, x: [v * x.shape[-1] for v in B.stream_sizes(bs, x)], C.stream_sizes_values, "not divided by d"),
    (lambda bs, x: [math.sqrt(v) for v in B.stream_sizes(bs, x)], C.stream_sizes_values, "root mean squares"),
    (lambda bs, x: B.stream_sizes(bs, x)[1:], C.stream_sizes_hidden, "without x_0"),
    (lambda bs, x, p: 1 / B.gradient_ratio(bs, x, p), C.gradient_ratio_values, "first/last"),
    (lambda bs, x, p: B.gradient_ratio(bs, x, p) ** 2, C.gradient_ratio_values, "squared norms"),
], ids=["gap-branches-on", "gap-not-relative", "gap-squared", "gap-weights-only", "stream-times-d", "stream-rms",
        "stream-no-x0", "ratio-inverted", "ratio-squared"])
def test_a_wrong_measurement_is_named(wrong, check, expected):
    message = failure(check, wrong)
    assert expected in message and "See Chapter" in message


@pytest.mark.parametrize(("wrong_label", "expected"), [
    ({"misconception_1": "misconception_3"}, "a 3x larger input gives exactly the same stream"),
    ({"detached_shortcut": "pre_ln"}, "the shortcut carries no gradient"),
    ({"post_ln": "misconception_1"}, "every block ends in a LayerNorm"),
])
def test_a_wrong_label_says_what_the_block_is_and_which_measurement_shows_it(wrong_label, expected):
    def classify(make_block):
        label = B.classify(make_block)
        return wrong_label.get(label, label)

    message = failure(C.classify_visible, classify)
    assert expected in message and "Practice box" in message and "The course's measurements" in message


def test_misconception_2_and_pytorchs_layers_are_named_in_the_hidden_feedback():
    message = failure(C.classify_hidden, lambda make_block: "pre_ln")
    assert "nn.TransformerEncoderLayer(norm_first=False)" in message or "Misconception 2" in message
    message = failure(C.classify_hidden, lambda make_block: {"post_ln": "pre_ln"}.get(B.classify(make_block),
                                                                                      B.classify(make_block)))
    assert "nn.TransformerEncoderLayer(norm_first=False)" in message


@pytest.mark.parametrize(("answer", "expected"), [
    (lambda make_block: None, "classify must return one of"),
    (lambda make_block: "Pre-LN", "classify must return one of"),
    (lambda make_block: 1 / 0, "your code raised an error: ZeroDivisionError"),
])
def test_bad_answers_get_a_clear_message(answer, expected):
    assert expected in failure(C.classify_visible, answer)


def classify_by_the_body(make_block):
    return {"PreLNBlock": "pre_ln"}.get(type(make_block(0).body).__name__, "post_ln")


def classify_by_getattr(make_block, attribute="knobs"):
    return getattr(make_block(0), attribute).attn_half


def classify_at_width_32(make_block):
    x, probe = B.probe_inputs(32)
    B.gradient_ratio([make_block(i) for i in range(2)], x, probe)
    return B.classify(make_block)


@pytest.mark.parametrize(("answer", "check", "expected"), [
    (classify_by_the_body, C.classify_visible, "classify reads the black box instead of measuring it (.body, type"),
    (classify_by_getattr, C.classify_visible, "reads the black box instead of measuring it (AttributeError"),
    (classify_at_width_32, C.classify_hidden, "your classify assumes width 32"),
], ids=["body-and-type", "getattr-at-run-time", "fixed-width"])
def test_a_classify_that_reads_the_box_or_fixes_the_width_is_told_so(answer, check, expected):
    message = failure(check, answer)
    assert expected in message and "n_embd" in message and "Traceback" not in message


def test_a_fixed_width_passes_the_practice_boxes():
    C.classify_visible(classify_at_width_32)


def test_bad_measurement_types_get_a_clear_message():
    assert "must return a float" in failure(C.identity_gap_values, lambda b, x: "0")
    assert "must return a list of floats" in failure(C.stream_sizes_values, lambda bs, x: None)


def test_handing_in_the_courses_classifier_is_an_integrity_flag():
    from autograder.engine.integrity import check_cell, notebook_aliases

    for source in ("from gpt2ln.grading.blackbox import classify as c\ndef classify(m):\n    return c(m)",
                   "def classify(m):\n    return blackbox.classify(m)"):
        setup = "from gpt2ln.grading import blackbox"
        flags = check_cell(source, "07_diagnose", notebook_aliases([setup, source]))
        assert any(kind == "reference_import" for kind, _ in flags), source
