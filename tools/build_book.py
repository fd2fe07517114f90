"""Build the book in both languages (``make book``), or refresh the translation catalogs.

    python tools/build_book.py                 # English, then Chinese
    python tools/build_book.py --language en   # one edition
    python tools/build_book.py --update-catalogs

The two editions come from one source tree through Sphinx's own internationalisation:

    English  book/*.md                 -> book/_build/html/
    catalogs book/_build/gettext/*.pot -> book/locales/zh_CN/LC_MESSAGES/*.po (translated, committed)
    Chinese  book/*.md + the catalogs  -> book/_build/html/zh_CN/

Both builds share one execution cache (``book/_build/.jupyter_cache``): a chapter's code runs
once, for the English build, and the Chinese build takes the same outputs and the same glued
numbers from the cache. Nothing computed is ever retyped in a translation.

``--update-catalogs`` extracts every translatable paragraph (Sphinx's ``gettext`` builder)
and merges it into the Chinese catalogs with ``sphinx-intl``: a new paragraph arrives with an
empty translation, a changed one keeps its old translation marked *fuzzy*, and the Chinese
build warns about both (``book/_ext/course_pages.py``), as does ``tests/test_translation.py``.
The student notebooks' catalogs are refreshed in the same step (``python -m autograder release``).
"""

import argparse
import subprocess
import sys
from pathlib import Path

from jupyter_book.sphinx import build_sphinx

from gpt2ln import links

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
BUILD = BOOK / "_build"
LOCALES = BOOK / "locales"
LANGUAGES = {language: BUILD / "html" / ("" if language == "en" else language) for language in links.LANGUAGES}
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]


def sphinx(builder: str, outdir: Path, doctrees: Path, language: str = "en", fresh: bool = False) -> int:
    """One Sphinx build of the book, configured from ``book/_config.yml`` as ``jupyter-book build`` does."""
    overrides = {
        "language": language,
        "nb_execution_cache_path": str(BUILD / ".jupyter_cache"),  # the one cache, whatever the outdir
        "latex_individualpages": False,  # jupyter-book's own key, expected by its config reader
    }
    return build_sphinx(BOOK, outdir, noconfig=True, path_config=str(BOOK / "_config.yml"), builder=builder,
                        doctreedir=doctrees, confoverrides=overrides, warningiserror=True, keep_going=True,
                        freshenv=fresh)


def build(language: str) -> int:
    doctrees = BUILD / (".doctrees" if language == "en" else f".doctrees-{language}")
    return sphinx("html", LANGUAGES[language], doctrees, language)


def update_catalogs() -> None:
    pot = BUILD / "gettext"
    # read every page again: text a page gets at source-read time (course_pages.py) changes no source file
    if sphinx("gettext", pot, BUILD / ".doctrees-gettext", fresh=True):
        sys.exit("the gettext build failed")
    for language in TRANSLATIONS:
        subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "--pot-dir", str(pot),
                        "--locale-dir", str(LOCALES), "--language", language, "--line-width", "-1"], check=True)
    subprocess.run([sys.executable, "-m", "autograder", "release", "--update-catalogs"], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=sorted(LANGUAGES), action="append",
                        help="build only this edition (repeatable); default: all")
    parser.add_argument("--update-catalogs", action="store_true",
                        help="extract the English text and merge it into the translation catalogs")
    args = parser.parse_args()
    if args.update_catalogs:
        update_catalogs()
        return
    for language in args.language or list(LANGUAGES):
        if build(language):
            sys.exit(f"the {language} edition failed to build")
        print(f"Book ({language}): file://{LANGUAGES[language] / 'index.html'}")


if __name__ == "__main__":
    main()
