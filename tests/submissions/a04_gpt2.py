"""Submissions of 04_gpt2."""

from nbgrader_helpers import Submission

EMBED = "x = self.drop(self.wte(idx) + self.wpe(positions))"
TRANSPOSE = "ours[name].copy_(value.t() if name.endswith(conv1d) else value)"

WRONG = {
    "conv1d_not_transposed_when_square": Submission(
        patches={"load_hf": [(TRANSPOSE, "ours[name].copy_(value if value.shape == ours[name].shape else value.t())")]},
        expect="holds the checkpoint's matrix as it is, where nn.Linear needs its transpose"),
    "conv1d_never_transposed": Submission(
        patches={"load_hf": [(TRANSPOSE, "ours[name].copy_(value)")]},
        expect="Conv1D weight was not transposed"),
    "untied_lm_head": Submission(
        patches={"gpt2_model": [("        self.lm_head.weight = self.wte.weight\n", "")]},
        expect="lm_head is not tied"),
    "no_final_layernorm": Submission(
        patches={"gpt2_model": [("return self.lm_head(self.ln_f(x))", "return self.lm_head(x)")]},
        expect="forgets the final LayerNorm ln_f"),
    "no_position_embedding": Submission(
        patches={"gpt2_model": [("x = self.drop(self.wte(idx) + self.wpe(positions))",
                                 "x = self.drop(self.wte(idx))")]},
        expect="does not add the position embedding"),
    # issue 12: the embedding dropout, ln_f's eps, a tuple returned
    "drop_never_applied": Submission(
        patches={"gpt2_model": [(EMBED, "x = self.wte(idx) + self.wpe(positions)")]},
        expect="never applies its dropout `drop`"),
    "drop_on_the_tokens_only": Submission(
        patches={"gpt2_model": [(EMBED, "x = self.drop(self.wte(idx)) + self.wpe(positions)")]},
        expect="Apply `drop` to the sum of the two embeddings"),
    "drop_after_the_blocks": Submission(
        patches={"gpt2_model": [(EMBED, "x = self.wte(idx) + self.wpe(positions)"),
                                ("return self.lm_head(self.ln_f(x))", "return self.lm_head(self.ln_f(self.drop(x)))")]},
        expect="Apply `drop` to the sum of the two embeddings"),
    "drop_hard_coded": Submission(
        patches={"gpt2_model": [("nn.Dropout(cfg.dropout)", "nn.Dropout(0.1)")]},
        expect="`drop` must be `nn.Dropout(cfg.dropout)`"),
    "ln_f_ignores_layer_norm_epsilon": Submission(
        patches={"gpt2_model": [("LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)", "LayerNorm(cfg.n_embd)")]},
        expect="ignores cfg.layer_norm_epsilon"),
    "returns_a_tuple": Submission(
        patches={"gpt2_model": [("return self.lm_head(self.ln_f(x))", "return self.lm_head(self.ln_f(x)), None")]},
        expect="returned a tuple"),
}

RIGHT = {
    "load_state_dict_and_tied_other_way": Submission(
        patches={
            "gpt2_model": [("self.lm_head.weight = self.wte.weight", "self.wte.weight = self.lm_head.weight")],
            "load_hf": [("    ours = model.state_dict()\n", ""),
                        ("""    with torch.no_grad():
        for key, value in state_dict.items():
            name = key.removeprefix("transformer.")
            if name.endswith((".attn.bias", ".attn.masked_bias")):
                continue  # causal-mask buffers of older transformers versions
            ours[name].copy_(value.t() if name.endswith(conv1d) else value)
""", """    converted = {}
    for key, value in state_dict.items():
        name = key[len("transformer."):] if key.startswith("transformer.") else key
        converted[name] = value.T if any(name.endswith(c) for c in conv1d) else value
    model.load_state_dict(converted, strict=False)
""")]},
        note="lm_head owns the tied matrix; load_state_dict with a converted dict"),
}
