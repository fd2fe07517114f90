"""Submissions of 03_blocks."""

from nbgrader_helpers import Submission

PRE_ATTN = "x = x + self.attn(self.ln_1(x))"
PRE_MLP = "x = x + self.mlp(self.ln_2(x))"
POST_ATTN = "x = self.ln_1(x + self.attn(x))"
POST_MLP = "x = self.ln_2(x + self.mlp(x))"

WRONG = {
    "misconception_1_residual_after_ln": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "h = self.ln_1(x)\n        x = h + self.attn(h)"),
                                  (PRE_MLP, "h = self.ln_2(x)\n        x = h + self.mlp(h)")]},
        expect="Misconception 1"),
    "misconception_2_post_ln_written_for_pre_ln": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, POST_ATTN), (PRE_MLP, POST_MLP)]},
        expect="Misconception 2"),
    "misconception_2_pre_ln_written_for_post_ln": Submission(
        patches={"post_ln_block": [(POST_ATTN, PRE_ATTN), (POST_MLP, PRE_MLP)]},
        expect="Misconception 2"),
    "misconception_3_layernorm_on_the_shortcut": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "x = self.ln_1(x) + self.attn(x)"),
                                  (PRE_MLP, "x = self.ln_2(x) + self.mlp(x)")]},
        expect="Misconception 3"),
    "missing_ln_2": Submission(
        patches={"pre_ln_block": [(PRE_MLP, "x = x + self.mlp(x)")]},
        expect="the LayerNorm is missing"),
    "shared_ln_2": Submission(
        patches={"pre_ln_block": [(PRE_MLP, "x = x + self.mlp(self.ln_1(x))")]},
        expect="both halves use ln_1"),
    "mlp_before_attention": Submission(
        patches={"pre_ln_block": [(PRE_ATTN + "\n        " + PRE_MLP, PRE_MLP + "\n        " + PRE_ATTN)]},
        expect="the MLP runs before the attention"),
    "detached_shortcut": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "x = x.detach() + self.attn(self.ln_1(x))")]},
        expect="the shortcut is detached"),
    "layernorm_under_no_grad": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "with torch.no_grad():\n            h = self.ln_1(x)\n"
                                             "        x = x + self.attn(h)")]},
        expect="the LayerNorm runs under torch.no_grad()"),
    "missing_residual": Submission(
        patches={"pre_ln_block": [(PRE_MLP, "x = self.mlp(self.ln_2(x))")]},
        expect="there is no residual connection"),
    # issue 12: advice written for the block it is about, an in-place residual, eps ignored, a tuple returned
    "post_ln_residual_around_the_layernorm": Submission(
        patches={"post_ln_block": [(POST_ATTN, "x = x + self.ln_1(self.attn(x))"),
                                   (POST_MLP, "x = x + self.ln_2(self.mlp(x))")]},
        expect="Post-LN normalises the sum, shortcut included: x = ln(x + f(x))"),
    "post_ln_attention_half_only": Submission(
        patches={"post_ln_block": [(POST_ATTN, "x = x + self.ln_1(self.attn(x))")]},
        expect="in the attention half, the LayerNorm normalises only the sub-layer's output"),
    "post_ln_layernorm_on_the_input": Submission(
        patches={"post_ln_block": [(POST_ATTN, "x = self.ln_1(x) + self.attn(x)"),
                                   (POST_MLP, "x = self.ln_2(x) + self.mlp(x)")]},
        expect="In Post-LN the LayerNorm takes the sum of the shortcut and the sub-layer: x = ln(x + f(x))"),
    "pre_ln_in_place_residual": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "x += self.attn(self.ln_1(x))"),
                                  (PRE_MLP, "x += self.mlp(self.ln_2(x))")]},
        expect="changed its input in place"),
    "pre_ln_add_underscore": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "x = x.add_(self.attn(self.ln_1(x)))")]},
        expect="changed its input in place"),
    "post_ln_in_place_residual": Submission(
        patches={"post_ln_block": [(POST_ATTN, "x += self.attn(x)\n        x = self.ln_1(x)")]},
        expect="changed its input in place"),
    "pre_ln_ignores_layer_norm_epsilon": Submission(
        patches={"pre_ln_block": [("LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)", "LayerNorm(cfg.n_embd)")]},
        expect="ignores cfg.layer_norm_epsilon"),
    "post_ln_hard_coded_eps": Submission(
        patches={"post_ln_block": [("eps=cfg.layer_norm_epsilon", "eps=1e-5")]},
        expect="ignores cfg.layer_norm_epsilon"),
    # issue review: randomness in eval mode, a hard-coded eps in Pre-LN, one LayerNorm used twice
    "pre_ln_functional_dropout": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "x = x + nn.functional.dropout(self.attn(self.ln_1(x)), 0.1)")]},
        expect="gives different outputs for the same input in eval mode"),
    "pre_ln_hard_coded_eps": Submission(
        patches={"pre_ln_block": [("eps=cfg.layer_norm_epsilon", "eps=1e-6")]},
        expect="ignores cfg.layer_norm_epsilon"),
    "pre_ln_shared_layernorm": Submission(
        patches={"pre_ln_block": [("self.ln_2 = LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)",
                                   "self.ln_2 = self.ln_1")]},
        expect="are one tensor in your PreLNBlock"),
    "pre_ln_returns_a_tuple": Submission(
        patches={"pre_ln_block": [(PRE_MLP + "\n        return x", PRE_MLP + "\n        return x, None")]},
        expect="returned a tuple"),
}

RIGHT = {
    "one_liner_and_sequential_names": Submission(
        patches={"pre_ln_block": [(PRE_ATTN + "\n        " + PRE_MLP + "\n        return x",
                                   "return (lambda h: h + self.mlp(self.ln_2(h)))(x + self.attn(self.ln_1(x)))")],
                 "post_ln_block": [(POST_ATTN + "\n        " + POST_MLP + "\n        return x",
                                    "for norm, sublayer in ((self.ln_1, self.attn), (self.ln_2, self.mlp)):\n"
                                    "            x = norm(x + sublayer(x))\n        return x")]},
        note="a one-liner; a loop over (norm, sub-layer) pairs"),
    "explicit_residual_names": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "residual = x\n        x = self.ln_1(x)\n        x = self.attn(x)\n"
                                             "        x = residual + x"),
                                  (PRE_MLP, "residual = x\n        x = self.mlp(self.ln_2(x))\n"
                                            "        x = x + residual")]},
        note="the residual saved in a variable, as many tutorials write it"),
    "warns_and_converts_a_tensor_to_a_float": Submission(
        patches={"pre_ln_block": [(PRE_ATTN, "import warnings\n        warnings.warn('a note of my own')\n"
                                             "        float(x.sum())  # PyTorch warns\n"
                                             "        " + PRE_ATTN)]},
        note="a warning while a check runs must not cost points (nbgrader scores 0 a cell with stderr)"),
}
