"""Run the course on a CUDA GPU: reference parity, every solution notebook, the experiments.

For a lent GPU machine that has torch (and transformers) but no Jupyter: the notebooks'
code cells run in order in one namespace, as "Run All" would, with the device they pick
themselves (``gpt2ln.device.default_device``). Prints one line per check and exits non-zero
if any failed. Nothing here is part of ``make test`` (CI has no GPU).

    PYTHONPATH=. TIKTOKEN_CACHE_DIR=data/tiktoken python tools/cuda_check.py
"""

import json
import os
import sys
import time
import traceback
from pathlib import Path

import torch

from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
os.environ.setdefault("MPLBACKEND", "Agg")
failures = []


def report(name: str, start: float, error: BaseException | None = None, detail: str = "") -> None:
    status = "ok  " if error is None else "FAIL"
    print(f"{status} {name:<48} {time.perf_counter() - start:7.1f} s  {detail}", flush=True)
    if error is not None:
        failures.append(name)
        traceback.print_exception(error, limit=-3)


def parity() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2ln.hf import from_hf_model

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    hf = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=128, n_positions=64,
                                    resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)).cuda().eval()
    ours = from_hf_model(hf).cuda().eval()
    idx = torch.randint(0, 128, (3, 17), device="cuda")
    diff = (ours(idx) - hf(idx).logits).abs().max().item()
    assert diff < 1e-4, f"logits differ by {diff}"
    print(f"     GPT2 vs GPT2LMHeadModel on {torch.cuda.get_device_name()}: max |logit diff| {diff:.2e}")


def run_notebook(path: Path) -> str:
    """Every code cell in order, in one namespace; IPython magics and shell lines become `pass`."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    namespace = {"__name__": "__main__"}
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        lines = [(line[: len(line) - len(line.lstrip())] + "pass") if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        try:
            exec(compile("\n".join(lines), f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102
        except Exception as err:
            raise RuntimeError(f"code cell {i} failed: {type(err).__name__}: {err}") from err
    devices = {str(v.device) for v in namespace.values() if isinstance(v, torch.Tensor)}
    models = {str(next(v.parameters()).device) for v in namespace.values()
              if isinstance(v, torch.nn.Module) and any(True for _ in v.parameters())}
    return f"{len(cells)} cells; tensors on {sorted(devices | models)}"


def main() -> int:
    print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
    if not torch.cuda.is_available():
        print("no GPU: nothing to check")
        return 1
    start = time.perf_counter()
    try:
        parity()
        report("parity with transformers (cuda)", start)
    except Exception as err:  # noqa: BLE001
        report("parity with transformers (cuda)", start, err)
    for notebook in sorted((REPO / "solutions").glob("*/*.ipynb")):
        start = time.perf_counter()
        try:
            detail = run_notebook(notebook)
            report(f"solution {notebook.stem}", start, detail=detail)
        except Exception as err:  # noqa: BLE001
            report(f"solution {notebook.stem}", start, err)
    start = time.perf_counter()
    try:
        from gpt2ln.experiments import LR, WARMUP_STEPS, compare

        results = compare(LR, WARMUP_STEPS, device="cuda")
        losses = ", ".join(f"{norm}/{w}: {r.val_loss:.2f}" for (norm, w), r in results.items())
        report("warmup experiment, full size (cuda)", start, detail=losses)
    except Exception as err:  # noqa: BLE001
        report("warmup experiment, full size (cuda)", start, err)
    print(f"{len(failures)} failed: {failures}" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
