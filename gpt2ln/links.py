"""Where the course lives online: the one place its repository and book addresses are set.

Every link the course generates is built from these settings: the book's repository button and
the exercise pages' launch buttons (Colab, Binder, JupyterHub through nbgitpuller), a student
notebook's setup cell (where ``pip`` installs ``gpt2ln`` from), the notebooks' links to the book,
and the "See Chapter ..." links in the grader's feedback.

    REPOSITORY_URL   the GitHub repository (env ``GPT2LN_REPOSITORY_URL``); OWNER is a placeholder
    BRANCH           the branch notebooks are opened and installed from (env ``GPT2LN_BRANCH``)
    BOOK_URL         the published HTML book (env ``GPT2LN_BOOK_URL``); by default the
                     repository's GitHub Pages site, ``https://OWNER.github.io/REPO``
    JUPYTERHUB_URL   your institution's JupyterHub with nbgitpuller (env ``GPT2LN_JUPYTERHUB_URL``)

A launch link opens ``notebooks/<id>/<id>.ipynb`` of ``BRANCH``:

    Colab        https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH
    Binder       https://mybinder.org/v2/gh/OWNER/REPO/BRANCH?urlpath=lab/tree/PATH
    JupyterHub   JUPYTERHUB_URL/hub/user-redirect/git-pull?repo=REPOSITORY_URL&urlpath=lab/tree/REPO/PATH&branch=BRANCH
"""

import os
import re
from urllib.parse import urlencode

REPOSITORY_URL = os.environ.get("GPT2LN_REPOSITORY_URL", "https://github.com/OWNER/where-does-the-layernorm-go")
BRANCH = os.environ.get("GPT2LN_BRANCH", "main")
JUPYTERHUB_URL = os.environ.get("GPT2LN_JUPYTERHUB_URL", "https://hub.example.org")
COLAB_URL = "https://colab.research.google.com"
BINDER_URL = "https://mybinder.org"


def github_parts(url: str = REPOSITORY_URL) -> tuple[str, str]:
    """(owner, repository) of a ``https://github.com/OWNER/REPO`` address."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", url)
    if not match:
        raise ValueError(f"the repository must be https://github.com/OWNER/REPO, not {url!r}")
    return match.group(1), match.group(2)


OWNER, REPOSITORY = github_parts()
BOOK_URL = os.environ.get("GPT2LN_BOOK_URL", f"https://{OWNER.lower()}.github.io/{REPOSITORY}").rstrip("/")


LANGUAGES = ("en", "zh_CN")  # the course's editions: English, and each translation under <language>/


def book_page(page: str, anchor: str = "", language: str = "en") -> str:
    """The HTML address of a book page, e.g. ``book_page("chapters/05_misconceptions", "misconception-1")``.

    The Chinese edition (``language="zh_CN"``) has the same pages and anchors under ``BOOK_URL/zh_CN/``."""
    edition = "" if language == "en" else f"{language}/"
    return f"{BOOK_URL}/{edition}{page}.html" + (f"#{anchor}" if anchor else "")


def pip_source() -> str:
    """What a notebook's setup cell gives ``pip install``: the package from the repository's branch."""
    return f"gpt2ln @ git+{REPOSITORY_URL}@{BRANCH}"


def notebook_path(assignment: str, language: str = "en") -> str:
    """A student notebook, relative to the repository root; a translation lives in ``notebooks/<language>/``."""
    folder = "notebooks" if language == "en" else f"notebooks/{language}"
    return f"{folder}/{assignment}/{assignment}.ipynb"


def launch_links(path: str) -> dict[str, str]:
    """Colab, Binder and JupyterHub addresses that open ``path`` (relative to the repository root)."""
    hub_query = urlencode({"repo": REPOSITORY_URL, "urlpath": f"lab/tree/{REPOSITORY}/{path}", "branch": BRANCH},
                          safe="/")
    return {
        "Colab": f"{COLAB_URL}/github/{OWNER}/{REPOSITORY}/blob/{BRANCH}/{path}",
        "Binder": f"{BINDER_URL}/v2/gh/{OWNER}/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{path}",
        "JupyterHub": f"{JUPYTERHUB_URL}/hub/user-redirect/git-pull?{hub_query}",
    }
