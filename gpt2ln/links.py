"""Where the course lives online: the one place its repository and book addresses are set.

Every link the course generates is built from these settings: the book's launch buttons and
exercise pages (Colab, Binder, JupyterHub), a notebook's setup cell (where to install
``gpt2ln`` from), and the "See Chapter ..." links in the grader's feedback.

    REPOSITORY_URL   the GitHub repository (env ``GPT2LN_REPOSITORY_URL`` overrides it)
    BRANCH           the branch notebooks are opened from
    BOOK_URL         the published HTML book (env ``GPT2LN_BOOK_URL``); "" when unpublished,
                     then book links are relative to the repository (``book/_build/html/...``)
"""

import os

REPOSITORY_URL = os.environ.get("GPT2LN_REPOSITORY_URL", "https://github.com/OWNER/where-does-the-layernorm-go")
BRANCH = os.environ.get("GPT2LN_BRANCH", "main")
BOOK_URL = os.environ.get("GPT2LN_BOOK_URL", "")


def book_page(page: str, anchor: str = "") -> str:
    """The HTML address of a book page, e.g. ``book_page("chapters/05_misconceptions", "misconception-1")``."""
    base = BOOK_URL.rstrip("/") if BOOK_URL else "book/_build/html"
    return f"{base}/{page}.html" + (f"#{anchor}" if anchor else "")
