"""Every address the course generates comes from the one setting, ``gpt2ln.links``.

Checked: the launch links (Colab, Binder, JupyterHub through nbgitpuller) open the ``.ipynb`` of
the same student notebook; the exercise pages and their launch menus carry exactly those links;
the book's configuration names no address of its own; a release notebook's setup cell installs
from the setting and its links to the book go to the book's HTML pages. The setting is then
changed through its environment variables, in a fresh interpreter, and every address follows.
"""

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from autograder.release import assignments
from gpt2ln import links
from gpt2ln.grading.release import SETUP_ID, setup_source
from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
ASSIGNMENTS = assignments()
URL = re.compile(r"https?://[^\s)\"'<>`]+")


def load_course_pages():
    spec = importlib.util.spec_from_file_location("course_pages", REPO / "book" / "_ext" / "course_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_app(language: str = "en"):
    return SimpleNamespace(srcdir=str(REPO / "book"), env=SimpleNamespace(note_dependency=lambda path: None),
                           config=SimpleNamespace(language=language))


def check_launch_links(found: dict[str, str], path: str, setting) -> None:
    """Each link opens ``path`` of the setting's repository and branch."""
    owner, repository = setting.github_parts(setting.REPOSITORY_URL)
    assert found["Colab"] == f"https://colab.research.google.com/github/{owner}/{repository}/blob/{setting.BRANCH}/{path}"
    assert found["Binder"] == f"https://mybinder.org/v2/gh/{owner}/{repository}/{setting.BRANCH}?urlpath=lab/tree/{path}"
    hub = urlsplit(found["JupyterHub"])
    assert f"{hub.scheme}://{hub.netloc}" == setting.JUPYTERHUB_URL and hub.path == "/hub/user-redirect/git-pull"
    query = {key: value[0] for key, value in parse_qs(hub.query).items()}
    assert query == {"repo": setting.REPOSITORY_URL, "branch": setting.BRANCH,
                     "urlpath": f"lab/tree/{repository}/{path}"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_launch_links_open_the_student_notebook(assignment):
    path = links.notebook_path(assignment)
    assert (REPO / path).is_file() and path.endswith(".ipynb")
    check_launch_links(links.launch_links(path), path, links)


def test_exercise_pages_carry_exactly_the_generated_links():
    course_pages = load_course_pages()
    for assignment in ASSIGNMENTS:
        expected = links.launch_links(links.notebook_path(assignment))
        page = html.unescape(course_pages.render_notebook(fake_app(), assignment))
        launch = {u for u in URL.findall(page) if "colab" in u or "mybinder" in u or "git-pull" in u}
        assert launch == set(expected.values()), assignment
        context = {"header_buttons": []}
        course_pages.exercise_launch_menu(fake_app(), f"exercises/{assignment}", "page.html", context, None)
        [menu] = context["header_buttons"]
        assert {b["text"]: b["url"] for b in menu["buttons"]} == expected
        chinese = links.launch_links(links.notebook_path(assignment, "zh_CN"))  # the Chinese page: its notebook
        page = html.unescape(course_pages.render_notebook(fake_app("zh_CN"), assignment))
        assert {u for u in URL.findall(page) if "colab" in u or "mybinder" in u or "git-pull" in u} == set(
            chinese.values()), assignment
        assert all("notebooks/zh_CN/" in url for url in chinese.values())


def test_repository_button_comes_from_the_setting():
    course_pages = load_course_pages()
    config = SimpleNamespace(language="en", html_theme_options={"repository_url": "https://github.com/elsewhere/x",
                                                 "launch_buttons": {"colab_url": "https://colab.research.google.com"}})
    course_pages.use_links_setting(None, config)
    assert config.html_theme_options["repository_url"] == links.REPOSITORY_URL
    assert config.html_theme_options["repository_branch"] == links.BRANCH
    assert config.html_theme_options["launch_buttons"] == {}, "the theme's buttons would open a chapter's .md"


def test_book_config_names_no_address_of_its_own():
    config = (REPO / "book" / "_config.yml").read_text()
    code = "\n".join(line.split("#")[0] for line in config.splitlines())
    assert not re.search(r"github\.com|colab|mybinder|hub\.|_url:", code), "addresses belong in gpt2ln/links.py"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_installs_from_the_setting_and_links_to_html_pages(assignment):
    nb = nbformat.read(REPO / links.notebook_path(assignment), as_version=4)
    source = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    assert source.cells[0].metadata["nbgrader"]["grade_id"] == SETUP_ID
    assert nb.cells[0].source == setup_source() and links.pip_source() in nb.cells[0].source
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"\]\([^)]*book/[^)]*\.md", markdown), "a link to the book's Markdown source"
    book_links = [u for u in URL.findall(markdown) if u.startswith(links.BOOK_URL + "/")]
    assert book_links, f"{assignment}: the introduction links to no page of the book"
    for url in book_links:
        page = url.removeprefix(links.BOOK_URL + "/").split("#")[0]
        assert page.endswith(".html") and (REPO / "book" / page.replace(".html", ".md")).is_file(), url


def test_every_address_follows_the_setting():
    """Change the setting (its environment variables) in a fresh interpreter: every generated address follows."""
    env = {"GPT2LN_REPOSITORY_URL": "https://github.com/someone/course-fork", "GPT2LN_BRANCH": "spring",
           "GPT2LN_JUPYTERHUB_URL": "https://hub.uni.example", "GPT2LN_BOOK_URL": "https://book.uni.example/ln"}
    script = f"""
import json, sys
sys.path.insert(0, {str(REPO / "book" / "_ext")!r})
from types import SimpleNamespace
import course_pages
from gpt2ln import links
from gpt2ln.grading.release import book_links, setup_source
app = SimpleNamespace(srcdir={str(REPO / "book")!r}, env=SimpleNamespace(note_dependency=lambda path: None),
                      config=SimpleNamespace(language="en"))
pages = {{a: course_pages.render_notebook(app, a) for a in {ASSIGNMENTS!r}}}
print(json.dumps({{"pages": pages, "setup": setup_source(), "book": book_links("[c](../../book/chapters/x.md#y)"),
                  "links": {{a: links.launch_links(links.notebook_path(a)) for a in {ASSIGNMENTS!r}}}}}))
"""
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    setting = SimpleNamespace(REPOSITORY_URL=env["GPT2LN_REPOSITORY_URL"], BRANCH=env["GPT2LN_BRANCH"],
                              JUPYTERHUB_URL=env["GPT2LN_JUPYTERHUB_URL"], github_parts=links.github_parts)
    for assignment in ASSIGNMENTS:
        path = links.notebook_path(assignment)
        check_launch_links(out["links"][assignment], path, setting)
        assert set(out["links"][assignment].values()) <= set(URL.findall(html.unescape(out["pages"][assignment])))
    assert '"gpt2ln @ git+https://github.com/someone/course-fork@spring"' in out["setup"]
    assert out["book"] == "[c](https://book.uni.example/ln/chapters/x.html#y)"


def test_front_page_and_readme_show_the_ways_in_from_the_setting():
    first = links.launch_links(links.notebook_path(ASSIGNMENTS[0]))
    allowed = set(first.values()) | {links.REPOSITORY_URL, links.BOOK_URL, f"{links.REPOSITORY_URL}@{links.BRANCH}"}
    front = load_course_pages().ways_in()
    assert {first["Colab"], first["Binder"]} <= set(URL.findall(front))
    assert "```{ways-in}" in (REPO / "book" / "index.md").read_text(), "the front page lost its ways in"
    readme = (REPO / "README.md").read_text()
    top = readme[: readme.index("## Build and test")]
    assert {first["Colab"], first["Binder"]} <= set(URL.findall(top))
    for url in URL.findall(front) + URL.findall(readme):
        if re.search(r"github|colab|mybinder|git-pull", url):
            assert url.rstrip(".,:;") in allowed, f"{url} is not built from gpt2ln.links"
