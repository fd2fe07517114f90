"""The library of wrong and right submissions the course's tests grade through nbgrader.

Each module holds, for one assignment, ``WRONG`` (each must lose points and its feedback must
contain ``expect``) and ``RIGHT`` (each, written differently from the solution, must earn
full marks). A submission is the release notebook with only its answer cells changed.
"""

from . import a01_layernorm, a02_attention, a03_blocks, a04_gpt2, a05_gradient_flow, a06_warmup, a07_diagnose

LIBRARY = {
    "01_layernorm": a01_layernorm,
    "02_attention": a02_attention,
    "03_blocks": a03_blocks,
    "04_gpt2": a04_gpt2,
    "05_gradient_flow": a05_gradient_flow,
    "06_warmup": a06_warmup,
    "07_diagnose": a07_diagnose,
}
