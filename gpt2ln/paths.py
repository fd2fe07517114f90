"""Where downloaded files live: ``$GPT2LN_DATA_DIR``, else ``data/`` in a source checkout,
else ``~/.cache/gpt2ln``."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    if os.environ.get("GPT2LN_DATA_DIR"):
        return Path(os.environ["GPT2LN_DATA_DIR"])
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "data"
    return Path.home() / ".cache" / "gpt2ln"
