"""Submissions of 07_diagnose: wrong measurements, wrong rules, and right ones written differently."""

from nbgrader_helpers import Submission

NORMALISED = "return ((jac - eye).norm() / eye.norm()).item()"
DIVIDED = "x.pow(2).sum(-1).mean().item() / x.shape[-1]"

WRONG = {
    "gap_with_branches_on": Submission(
        patches={"identity_gap": [("    with torch.no_grad():\n        for layer in block.branch_outputs():\n"
                                   "            layer.weight.zero_()\n            layer.bias.zero_()\n", "")]},
        expect="branches still on"),
    "gap_not_relative": Submission(
        patches={"identity_gap": [(NORMALISED, "return (jac - eye).norm().item()")]},
        expect="not divided by ||I||_F"),
    "stream_not_divided_by_width": Submission(
        patches={"stream_sizes": [(DIVIDED, "x.pow(2).sum(-1).mean().item()")]},  # both lines
        expect="not divided by d = n_embd"),
    "stream_without_x0": Submission(
        patches={"stream_sizes": [(f"sizes = [{DIVIDED}]", "sizes = []")]},
        expect="without x_0"),
    "ratio_upside_down": Submission(
        patches={"gradient_ratio": [("return (last.norm() / first.norm()).item()",
                                     "return (first.norm() / last.norm()).item()")]},
        expect="first/last"),
    "ratio_without_final_layernorm": Submission(
        patches={"gradient_ratio": [("(F.layer_norm(h, h.shape[-1:]) * probe)", "(h * probe)")]},
        expect="without the final LayerNorm"),
    "no_scale_test_misconception_1_called_3": Submission(
        patches={"classify": [("        return \"misconception_1\"\n", "        return \"misconception_3\"\n")]},
        expect="a 3x larger input gives exactly the same stream"),
    "forward_only_detached_called_pre_ln": Submission(
        patches={"classify": [("    if gradient_ratio(stack, x, probe) > 1e3 or gap > 0.99:\n"
                               "        return \"detached_shortcut\"\n", "")]},
        expect="the shortcut carries no gradient"),
    "reads_the_class_name": Submission(
        answers={"classify": '''
def classify(make_block):
    block = make_block(0).body
    name = type(block).__name__
    if name == "PreLNBlock":
        return "pre_ln"
    if name == "PostLNBlock":
        return "post_ln"
    return {"residual_after_ln": "misconception_1", "ln_on_shortcut": "misconception_3",
            "detached_shortcut": "detached_shortcut"}.get(block.knobs.attn_half, "pre_ln")
'''},
        expect="classify reads the black box instead of measuring it",
        note="reads the box's class and knobs: loses the classify points with a message, not a crash"),
    "fixed_width_inputs": Submission(
        patches={"classify": [("x, probe = probe_inputs(make_block(0).n_embd)", "x, probe = probe_inputs(32)")]},
        expect="your classify assumes width 32",
        note="right on the practice boxes (width 32), wrong at the hidden widths"),
    "gap_with_only_the_weights_zeroed": Submission(
        patches={"identity_gap": [("            layer.bias.zero_()\n", "")]},
        expect="their biases must be zero too",
        note="right on the course's blocks (zero biases), wrong on PyTorch's layers (hidden tests)"),
}

RIGHT = {
    "rows_of_the_jacobian_and_other_thresholds": Submission(
        answers={
            "identity_gap": '''
def identity_gap(block, x):
    for layer in block.branch_outputs():
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    x = x.detach().requires_grad_(True)
    y = block(x).flatten()
    rows = [torch.autograd.grad(y[i], x, retain_graph=True)[0].flatten() for i in range(y.numel())]
    return float(torch.linalg.matrix_norm(torch.stack(rows) - torch.eye(x.numel())) / x.numel() ** 0.5)
''',
            "stream_sizes": '''
def stream_sizes(blocks, x):
    out = [x]
    with torch.no_grad():
        for b in blocks:
            out.append(b(out[-1]))
    return [float(t.square().mean()) for t in out]
''',
            "gradient_ratio": '''
def gradient_ratio(blocks, x, probe):
    h = x
    for b in blocks:
        h = b(h)
    w = [blocks[0].branch_outputs()[-1].weight, blocks[-1].branch_outputs()[-1].weight]
    g0, g1 = torch.autograd.grad((F.layer_norm(h, (h.shape[-1],)) * probe).sum(), w, allow_unused=True)
    return float("inf") if g0 is None or not g0.any() else float(g1.norm() / g0.norm())
''',
            "classify": '''
def classify(make_block):
    C = make_block(0).n_embd
    g = torch.Generator().manual_seed(123)
    x, probe = torch.randn(4, 6, C, generator=g), torch.randn(4, 6, C, generator=g)
    stack = [make_block(i) for i in range(6)]
    gap = identity_gap(make_block(0), x[:1, :2])
    if gap > 0.9:
        return "detached_shortcut"
    if gap < 1e-4:
        return "pre_ln"
    s1, s3 = stream_sizes(stack, x), stream_sizes(stack, 3 * x)
    if max(abs(v - 1) for v in s1[1:]) < 1e-2:
        return "post_ln"
    return "misconception_1" if abs(s3[1] - s1[1]) < 1e-2 * s1[1] else "misconception_3"
'''},
        note="the Jacobian row by row (one autograd.grad per output), mean of squares, autograd.grad; its own "
             "input, depth and thresholds"),
    "gradient_first_then_single_block_scale_test": Submission(
        patches={"classify": [
            ("    if all(abs(a - b) < 1e-3 * b for a, b in zip(sizes_3x[1:], sizes[1:], strict=True)):\n",
             "    with torch.no_grad():\n        block = make_block(0)\n"
             "        blind = torch.allclose(block(3 * x), block(x), atol=1e-4)\n    if blind:\n")]},
        note="the scale test on one block's output instead of the stream"),
    "loop_in_one_function": Submission(
        answers={"classify": '''
def classify(make_block):
    x, probe = probe_inputs(make_block(0).n_embd, seed=7, batch=3, seq_len=10)
    stack = [make_block(i) for i in range(10)]
    ratio = gradient_ratio(stack, x, probe)
    gap = identity_gap(make_block(1), x[:1, :3])
    sizes = {scale: stream_sizes(stack, scale * x)[1:] for scale in (1, 3)}
    rules = [
        (ratio > 100, "detached_shortcut"),
        (gap < 1e-3, "pre_ln"),
        (all(abs(s - 1) < 1e-3 for s in sizes[1]), "post_ln"),
        (all(abs(a / b - 1) < 1e-3 for a, b in zip(sizes[3], sizes[1])), "misconception_1"),
    ]
    return next((label for holds, label in rules if holds), "misconception_3")
'''},
        note="a rule table; other seed, shapes and depth"),
}
