"""The checks the notebooks' test cells call: one function per test cell.

``*_forward`` compares outputs with the reference on the same weights, ``*_gradients``
compares every gradient too, ``*_properties`` tests what must hold whatever the weights
(causality, the identity path of a Pre-LN block...), ``*_hidden`` repeats the comparison
on more shapes and in float64 (it runs only at grading). Each raises an
``AssertionError`` whose message says what is wrong, which known mistake it matches and
where the book explains it; ``summary()`` prints a table of every check run so far.
"""

from .components import (
    attention_forward,
    attention_gradients,
    attention_hidden,
    gelu_forward,
    gelu_gradients,
    gelu_hidden,
    layernorm_forward,
    layernorm_gradients,
    layernorm_hidden,
    mlp_forward,
    mlp_gradients,
    mlp_hidden,
    post_ln_block_forward,
    post_ln_block_gradients,
    post_ln_block_hidden,
    pre_ln_block_forward,
    pre_ln_block_gradients,
    pre_ln_block_hidden,
)
from .diagnose_checks import (  # assignment 7
    classify_hidden,
    classify_visible,
    gradient_ratio_hidden,
    gradient_ratio_values,
    identity_gap_hidden,
    identity_gap_values,
    stream_sizes_hidden,
    stream_sizes_values,
)
from .flow_checks import (  # noqa: E402, I001 (assignment 5)
    flow_properties,
    gradient_norms_hidden,
    gradient_norms_values,
    hidden_norms_hidden,
    hidden_norms_values,
)
from .model_checks import (
    gpt2_forward,
    gpt2_gradients,
    gpt2_hidden,
    gpt2_properties,
    load_hf_hidden,
    load_hf_logits,
    load_hf_weights,
)
from .properties import (
    attention_properties,
    gelu_properties,
    layernorm_properties,
    mlp_properties,
    post_ln_block_properties,
    pre_ln_block_properties,
)
from .report import summary
from .schedule_checks import schedule_hidden, schedule_properties, schedule_values  # noqa: E402 (assignment 6)

__all__ = [
    "layernorm_forward", "layernorm_gradients", "layernorm_properties", "layernorm_hidden",
    "gelu_forward", "gelu_gradients", "gelu_properties", "gelu_hidden",
    "mlp_forward", "mlp_gradients", "mlp_properties", "mlp_hidden",
    "attention_forward", "attention_gradients", "attention_properties", "attention_hidden",
    "pre_ln_block_forward", "pre_ln_block_gradients", "pre_ln_block_properties", "pre_ln_block_hidden",
    "post_ln_block_forward", "post_ln_block_gradients", "post_ln_block_properties", "post_ln_block_hidden",
    "gpt2_forward", "gpt2_gradients", "gpt2_properties", "gpt2_hidden",
    "load_hf_weights", "load_hf_logits", "load_hf_hidden",
    "gradient_norms_values", "gradient_norms_hidden", "hidden_norms_values", "hidden_norms_hidden", "flow_properties",
    "schedule_values", "schedule_properties", "schedule_hidden",
    "identity_gap_values", "identity_gap_hidden", "stream_sizes_values", "stream_sizes_hidden",
    "gradient_ratio_values", "gradient_ratio_hidden", "classify_visible", "classify_hidden",
    "summary",
]
