"""The Chinese edition's catalogs: complete, current, faithful to the markup, one word per term.

The catalogs (``book/locales/zh_CN/LC_MESSAGES/**.po``, refreshed by
``python tools/build_book.py --update-catalogs``) hold one entry per English paragraph,
heading, list item or caption. These tests read them as files (fast, no build):

* every entry is translated and none is *fuzzy* (an English paragraph edited since it was
  translated); the build itself flags the same paragraphs (``test_an_outdated_paragraph_is_flagged``);
* a translation keeps its paragraph's machinery: every glued number, citation, cross-reference,
  formula, code span and link of the English is in the Chinese, unchanged;
* a translation is Chinese, and uses ``terms.toml``'s word for each term, never a synonym it lists;
* the headings the grader's feedback cites are translated as ``terms.toml`` says.
"""

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from gpt2ln.paths import REPO_ROOT

LOCALE = REPO_ROOT / "book" / "locales" / "zh_CN"
CATALOGS = sorted((LOCALE / "LC_MESSAGES").rglob("*.po"))
TERMS = tomllib.loads((LOCALE / "terms.toml").read_text(encoding="utf-8"))
CJK = re.compile(r"[\u4e00-\u9fff]")

# Machinery a translation must carry over unchanged: MyST roles (a {term} or {doc} role may
# translate its text and keep its target: {term}`层归一化 <LayerNorm>`), math, code spans,
# link targets and addresses.
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
CODE = re.compile(r"(?<![`}])`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
URL = re.compile(r"https?://[^\s)>\]]+")
TARGETED = ("term", "doc", "ref", "numref")


def course_pages():
    spec = importlib.util.spec_from_file_location("course_pages", REPO_ROOT / "book" / "_ext" / "course_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries(path: Path):
    with path.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


def machinery(text: str) -> list[str]:
    """What of a paragraph must survive translation, as a sorted list."""
    roles = []
    for name, content in ROLE.findall(text):
        target = re.search(r"<([^<>]+)>\s*$", content)
        roles.append(f"{{{name}}}{target.group(1) if name in TARGETED and target else content}"
                     if name in TARGETED else f"{{{name}}}`{content}`")
    bare = ROLE.sub(" ", text)
    formulas = [re.sub(r"\\text\{[^{}]*\}", r"\\text{}", m) for m in MATH.findall(bare)]  # words in \text{} translate
    found = roles + formulas + [f"`{c}`" for c in CODE.findall(MATH.sub(" ", bare))]
    prose = CODE.sub(" ", MATH.sub(" ", bare))  # an address inside a code span is already in it
    found += LINK.findall(bare) + [url for url in URL.findall(prose) if f"]({url}" not in bare]
    return sorted(found)


def catalog_id(path: Path) -> str:
    return str(path.relative_to(LOCALE / "LC_MESSAGES").with_suffix(""))


def test_there_are_catalogs():
    names = {catalog_id(path) for path in CATALOGS}
    assert {"index", "glossary", "chapters/02_layernorm", "chapters/05_misconceptions", "exercises/03_blocks"} <= names


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_every_paragraph_is_translated_and_current(path):
    missing = [m.id[:80] for m in entries(path) if not m.string]
    fuzzy = [m.id[:80] for m in entries(path) if m.fuzzy]
    assert not missing, f"{catalog_id(path)}: {len(missing)} paragraphs not translated, e.g. {missing[:3]}"
    assert not fuzzy, (f"{catalog_id(path)}: {len(fuzzy)} translations are outdated (the English changed since; "
                       f"update them and remove the fuzzy flag), e.g. {fuzzy[:3]}")


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_translations_keep_the_markup(path):
    """Glued numbers, citations, references, formulas, code and links are carried over unchanged."""
    broken = []
    for message in entries(path):
        if message.string and machinery(message.id) != machinery(message.string):
            lost = sorted(set(machinery(message.id)) - set(machinery(message.string)))
            added = sorted(set(machinery(message.string)) - set(machinery(message.id)))
            broken.append(f"{message.id[:70]!r}: lost {lost}, added {added}")
    assert not broken, f"{catalog_id(path)}:\n" + "\n".join(broken)


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_translations_parse_as_the_english_does(path):
    """A translation that starts like a list item ("1. ...") becomes a list, and Sphinx drops it."""
    item = re.compile(r"^\s*(\d+[.)]|[-*+])\s")
    broken = [m.string[:60] for m in entries(path) if m.string and item.match(m.string) and not item.match(m.id)]
    assert not broken, f"{catalog_id(path)}: escape the leading marker (1\\. ...): {broken}"


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_translations_are_chinese_with_the_glossary_terms(path):
    is_english = course_pages().is_english
    english, synonyms = [], []
    for message in entries(path):
        if message.string and is_english(message.string) and not CJK.search(message.string):
            english.append(message.string[:80])
        for term in TERMS["term"]:
            synonyms += [f"{word!r} for {term['zh']!r} in {message.string[:60]!r}"
                         for word in term["avoid"] if word in message.string]
    assert not english, f"{catalog_id(path)}: English left as the translation: {english[:5]}"
    assert not synonyms, f"{catalog_id(path)}: not the glossary's term:\n" + "\n".join(synonyms)


def test_cited_headings_are_translated_as_the_terms_say():
    """The grader cites these headings by name; the book must carry the same Chinese words."""
    translated = {m.id: m.string for path in CATALOGS for m in entries(path)}
    wrong = {english: (translated.get(english), chinese) for english, chinese in TERMS["headings"].items()
             if translated.get(english) != chinese}
    assert not wrong, f"headings translated otherwise than terms.toml (book, terms): {wrong}"


def test_machinery_sees_every_kind_of_markup():
    """The markup check is not vacuous: each kind of machinery is found, and a lost glue is noticed."""
    text = ("A {term}`LayerNorm` of {glue:text}`r:.2f` ({cite:p}`xiong2020layer`), $\\sqrt d$, `ln_1`, "
            "[Chapter 4](04_pre_ln.md), see https://example.org/x.")
    found = machinery(text)
    assert found == sorted(["{term}LayerNorm", "{glue:text}`r:.2f`", "{cite:p}`xiong2020layer`", "$\\sqrt d$",
                            "`ln_1`", "04_pre_ln.md", "https://example.org/x."])
    translation = "{term}`层归一化 <LayerNorm>` 的 {cite:p}`xiong2020layer`，$\\sqrt d$，`ln_1`，[第4章](04_pre_ln.md)，https://example.org/x."
    assert machinery(translation) != found and set(found) - set(machinery(translation)) == {"{glue:text}`r:.2f`"}


SPHINX_PAGE = """\
# A page

First paragraph, which has a translation.

Second paragraph, which has none yet.
"""
SPHINX_CATALOG = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgid "A page"
msgstr "一页"

msgid "First paragraph, which has a translation."
msgstr "第一段，它有译文。"

#, fuzzy
msgid "Second paragraph, which has an old translation."
msgstr "第二段的旧译文。"
"""


def test_an_outdated_paragraph_is_flagged(tmp_path):
    """The Chinese build names every paragraph shown in English: missing from the catalog, or fuzzy there."""
    (tmp_path / "index.md").write_text(SPHINX_PAGE)
    (tmp_path / "locales" / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locales" / "zh_CN" / "LC_MESSAGES" / "index.po").write_text(SPHINX_CATALOG, encoding="utf-8")
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO_ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_nb', 'course_pages']\nlanguage = 'zh_CN'\nlocale_dirs = ['locales/']\n"
        "gettext_compact = False\n")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(tmp_path), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert "untranslated or outdated paragraph" in result.stderr, result.stderr[-3000:]
    assert "Second paragraph" in result.stderr and "First paragraph" not in result.stderr, result.stderr[-3000:]
    assert "第一段，它有译文。" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
