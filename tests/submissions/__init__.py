"""The library of wrong and right submissions the course's tests grade through nbgrader.

Each module holds, for one assignment, ``WRONG`` (each must lose points and its feedback must
contain ``expect``) and ``RIGHT`` (each, written differently from the solution, must earn
full marks). A submission is the release notebook with only its answer cells changed.
"""

from . import a01_layernorm, a02_attention, a03_blocks, a04_gradient_flow, a05_gpt2, a06_warmup

LIBRARY = {
    "01_layernorm": a01_layernorm,
    "02_attention": a02_attention,
    "03_blocks": a03_blocks,
    "04_gradient_flow": a04_gradient_flow,
    "05_gpt2": a05_gpt2,
    "06_warmup": a06_warmup,
}
