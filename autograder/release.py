"""``release``: the student notebooks (the profile's release folder, ``notebooks/``) from the source
notebooks (``solutions/``), with nbgrader's ``generate_assignment``.

nbgrader strips the solutions, hides the hidden tests and records checksums. It runs with the
course's nbgrader settings; the gradebook it needs is a throw-away SQLite file, so no
``gradebook.db`` is left behind. The assignments are the folders of ``solutions/`` that hold
``<id>/<id>.ipynb``. Before nbgrader sees them, the source notebooks (copied to a temporary
folder) go through the course's own ``release_transform`` from the profile (for this course
:func:`gpt2ln.grading.release.with_links`: the setup cell and the book's addresses).

Each English release notebook is then translated (:data:`TRANSLATIONS`, for now Chinese) into
``notebooks/<language>/<id>/<id>.ipynb`` (:func:`gpt2ln.links.notebook_path`): every Markdown
cell the instructor wrote is replaced by its translation from a gettext catalog, one per
assignment (``book/locales/<language>/LC_MESSAGES/notebooks/<id>.po``, beside the book's, so
translators work in one tree; msgid = the English cell, whole), the links to the published
book are re-pointed at that language's edition, the notebook's metadata says its language,
and one plain cell after the setup cell sets the language of the grader's feedback. The code
cells and every cell's nbgrader metadata (grade_id, checksum, points, locked) stay exactly
as in English, so either language is graded by the same autograder and the same gradebook
(nbgrader keeps a cell without nbgrader metadata as it is). A cell with no current
translation (new, or *fuzzy*: its English changed since) stays English, and release warns.

    python -m autograder release                     # all assignments into notebooks/ (and notebooks/zh_CN/)
    python -m autograder release 03_blocks --into DIR
    python -m autograder release --check             # exit 1 when notebooks/ (either language) is stale
    python -m autograder release --update-catalogs   # also merge the English cells into the catalogs (babel):
                                                     # a changed cell keeps its old translation, fuzzy;
                                                     # a new one arrives empty
"""

import copy
import importlib
import logging
import os
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import nbformat

from gpt2ln import links

from .engine.course import COURSE_SETTINGS
from .profile import current

logger = logging.getLogger(__name__)

# Metadata that changes from run to run or machine to machine, ignored when comparing releases.
VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "trusted")

# The translated student notebooks: language -> the source of the plain cell placed after the
# setup cell, which sets the language of the grader's feedback (gpt2ln.grading.i18n reads
# GPT2LN_LANG each time it makes a message).
TRANSLATIONS = {
    "zh_CN": (
        "# 反馈的语言：中文。删除这个单元格，在这里运行的检查就改用英文；\n"
        "# 评分时，自动评分器仍按本笔记本的语言（中文）给出评语。\n"
        "import os\n"
        "\n"
        'os.environ["GPT2LN_LANG"] = "zh"'
    ),
}
LANGUAGE_CELL_ID = "feedback-language"
# A fixed date in the catalogs' headers, so that refreshing an unchanged catalog changes nothing.
CATALOG_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def assignments() -> list[str]:
    """The assignment ids: every folder of the profile's ``solutions`` that holds ``<id>/<id>.ipynb``."""
    return current().assignment_ids()


def nbgrader_env() -> dict:
    """nbgrader runs ``alembic`` as a subprocess: the interpreter's ``bin/`` must come first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _transform():
    """The profile's ``release_transform`` (``module:function``, notebook -> notebook), or None."""
    spec = current().release_transform
    if not spec:
        return None
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def transformed_sources(names: list[str], into: Path) -> None:
    """Copy each assignment folder of ``solutions`` into ``into``, with the course's transform applied."""
    transform = _transform()
    for name in names:
        shutil.copytree(current().solutions / name, into / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        notebook = into / name / f"{name}.ipynb"
        if transform is not None:
            nbformat.write(transform(nbformat.read(notebook, as_version=4)), notebook)


def release(names: list[str] | None = None, into: Path | None = None, quiet: bool = True,
            update_catalogs: bool = False) -> list[Path]:
    """``nbgrader generate_assignment`` for each assignment, in one process, then its translations;
    return the notebooks written (each English one followed by its translations).

    The course's nbgrader settings (``autograder/nbgrader_config.py``, which the root's
    ``nbgrader_config.py`` includes) are loaded as nbgrader would load them, then pointed at a
    temporary gradebook, at a transformed temporary copy of ``solutions/``, and at ``into``.
    ``update_catalogs`` first merges each English notebook's Markdown cells into its catalogs.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    profile = current()
    into = Path(into or profile.release).resolve()
    os.environ["PATH"] = nbgrader_env()["PATH"]
    written = []
    names = names or assignments()
    with tempfile.TemporaryDirectory() as tmp:
        transformed_sources(names, Path(tmp) / "source")
        config = PyFileConfigLoader(COURSE_SETTINGS.name, path=str(COURSE_SETTINGS.parent)).load_config()
        config.CourseDirectory.root = str(profile.root)
        config.CourseDirectory.db_url = f"sqlite:///{tmp}/gradebook.db"
        config.CourseDirectory.source_directory = str(Path(tmp) / "source")
        config.CourseDirectory.release_directory = str(into)
        if quiet:
            config.Application.log_level = "WARN"
        api = NbGraderAPI(config=config)
        for name in names:
            result = api.generate_assignment(name, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result['log']}\n{result['error']}")
            written.append(into / name / f"{name}.ipynb")
    for english in list(written):
        for language in TRANSLATIONS:
            if update_catalogs:
                update_catalog(english, language)
            written.insert(written.index(english) + 1, write_translation(english, language, into))
    return written


# --- translations -------------------------------------------------------------------------------

def catalog_path(name: str, language: str) -> Path:
    """The catalog of one assignment's notebook: ``book/locales/<language>/LC_MESSAGES/notebooks/<id>.po``."""
    return current().root / "book" / "locales" / language / "LC_MESSAGES" / "notebooks" / f"{name}.po"


def translation_path(into: Path, name: str, language: str) -> Path:
    """Where a translated notebook goes: where :func:`gpt2ln.links.notebook_path` says, ``into`` for ``notebooks/``."""
    english_root = PurePosixPath(links.notebook_path(name)).parent.parent
    return Path(into) / PurePosixPath(links.notebook_path(name, language)).relative_to(english_root)


def translatable(cell: nbformat.NotebookNode) -> bool:
    """A Markdown cell the instructor wrote; a written answer's cell (``YOUR ANSWER HERE``) is the student's."""
    return cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("solution")


def read_catalog(name: str, language: str):
    """The assignment's catalog, or an empty one."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = catalog_path(name, language)
    if not path.exists():
        header = (f"# The {language} translation of the student notebook {name}: one entry per Markdown cell.\n"
                  "# Refreshed by `python -m autograder release --update-catalogs` (autograder/release.py).")
        return Catalog(locale=language, project=f"gpt2ln notebook {name}", header_comment=header,
                       creation_date=CATALOG_DATE, revision_date=CATALOG_DATE, fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update_catalog(english: Path, language: str) -> Path:
    """Merge an English release notebook's Markdown cells into its catalog (``Catalog.update``).

    One entry per cell, the whole cell the msgid; the location is the cell's position in the
    notebook. A cell changed since it was translated keeps its old translation, marked fuzzy
    (with the old English as ``#| msgid``); a new one arrives empty; a removed one is dropped.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    name = english.parent.name
    template = Catalog(project=f"gpt2ln notebook {name}", creation_date=CATALOG_DATE, fuzzy=False)
    nb = nbformat.read(english, as_version=4)
    for position, cell in enumerate(nb.cells, start=1):
        if translatable(cell):
            template.add(catalog_key(cell.source), locations=[(f"{name}.ipynb", position)])
    catalog = read_catalog(name, language)
    catalog.update(template)
    path = catalog_path(name, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, ignore_obsolete=True, include_previous=True)
    return path


BOOK_URL_KEY = "{BOOK_URL}"


def catalog_key(markdown: str) -> str:
    """A cell as its catalog knows it: the published book's address (a setting) written as ``{BOOK_URL}``,
    so that a course published elsewhere (``GPT2LN_BOOK_URL``) still finds every translation."""
    return markdown.replace(links.BOOK_URL, BOOK_URL_KEY)


def edition_links(markdown: str, language: str) -> str:
    """Links to the published book (``links.book_page``) pointed at the same page of ``language``'s edition."""
    book = re.compile(r"\]\(" + re.escape(links.BOOK_URL) + r"/([^)#\s]+)\.html(?:#([^)\s]+))?\)")
    return book.sub(lambda m: f"]({links.book_page(m.group(1), m.group(2) or '', language)})", markdown)


def language_cell(language: str) -> nbformat.NotebookNode:
    """The plain code cell (no nbgrader metadata) that sets the feedback's language."""
    cell = nbformat.v4.new_code_cell(TRANSLATIONS[language])
    cell.id = LANGUAGE_CELL_ID
    return cell


def translated(nb: nbformat.NotebookNode, catalog, language: str) -> tuple[nbformat.NotebookNode, int]:
    """An English release notebook in ``language``, and how many Markdown cells had no current translation."""
    nb = copy.deepcopy(nb)
    missing = 0
    for cell in nb.cells:
        if translatable(cell):
            message = catalog.get(catalog_key(cell.source))
            current_translation = message is not None and message.string and not message.fuzzy
            missing += not current_translation
            text = message.string.replace(BOOK_URL_KEY, links.BOOK_URL) if current_translation else cell.source
            cell.source = edition_links(text, language)
    nb.cells.insert(1, language_cell(language))
    nb.metadata["gpt2ln"] = {"language": language}
    return nb, missing


def write_translation(english: Path, language: str, into: Path) -> Path:
    """Translate one English release notebook into ``language``; warn about the cells left in English."""
    name = english.parent.name
    nb, missing = translated(nbformat.read(english, as_version=4), read_catalog(name, language), language)
    path = translation_path(into, name, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    if missing:
        logger.warning("%s/%s: %d Markdown cells have no current translation and stay English: translate them in %s",
                       language, name, missing, catalog_path(name, language).relative_to(current().root))
    return path


def normalised(path: Path) -> dict:
    """A notebook as a dict without volatile metadata, for comparing two releases."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def stale(release_dir: Path | None = None) -> list[str]:
    """The release notebooks (``03_blocks``, ``zh_CN/03_blocks``) that differ from a fresh release."""
    release_dir = Path(release_dir or current().release)
    with tempfile.TemporaryDirectory() as tmp:
        outdated = []
        for path in release(into=Path(tmp)):
            relative = path.relative_to(tmp)
            committed = release_dir / relative
            if not committed.exists() or normalised(path) != normalised(committed):
                outdated.append(str(relative.parent))
        return outdated
