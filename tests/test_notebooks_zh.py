"""The Chinese student notebooks (``notebooks/zh_CN/``): the English release, translated, graded the same.

``python -m autograder release`` writes each one from the English release notebook and the
assignment's catalog (``book/locales/zh_CN/LC_MESSAGES/notebooks/<id>.po``; its entries are
checked like the book's by ``tests/test_translation.py``). Here: every assignment has one; its
code cells and every cell's nbgrader metadata are the English ones (so one gradebook grades
both); every Markdown cell the instructor wrote is Chinese; its book links open the Chinese
edition; one plain cell sets the feedback's language. And, through real nbgrader, a Chinese
submission with Misconception 1 gets the Chinese diagnosis and exactly the English score.
"""

import re
import shutil

import nbformat
import pytest
from babel.messages.catalog import Catalog
from nbgrader_helpers import Course, Submission, fill_answers
from submissions import a03_blocks

from autograder.release import LANGUAGE_CELL_ID, assignments, transformed_sources, translatable, translated
from gpt2ln import links
from gpt2ln.paths import REPO_ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
BOOK_LINK = re.compile(r"\]\((" + re.escape(links.BOOK_URL) + r"/[^)\s]*)\)")
ASSIGNMENTS = assignments()


def notebook(assignment: str, language: str = "en") -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / links.notebook_path(assignment, language), as_version=4)


def without_language_cell(nb: nbformat.NotebookNode) -> list:
    return [cell for cell in nb.cells if cell.get("id") != LANGUAGE_CELL_ID]


def test_every_assignment_has_a_chinese_notebook():
    assert len(ASSIGNMENTS) == 7
    missing = [a for a in ASSIGNMENTS if not (REPO_ROOT / links.notebook_path(a, "zh_CN")).is_file()]
    assert not missing, "run `python -m autograder release`: " + ", ".join(missing)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_code_cells_and_nbgrader_metadata_are_the_english_ones(assignment):
    english, chinese = notebook(assignment), notebook(assignment, "zh_CN")
    cells = without_language_cell(chinese)
    assert [c.cell_type for c in cells] == [c.cell_type for c in english.cells]
    assert [c.get("id") for c in cells] == [c.get("id") for c in english.cells]
    for en, zh in zip(english.cells, cells, strict=True):
        assert zh.metadata == en.metadata, (assignment, en.get("id"))  # grade_id, checksum, points, locked ...
        if not translatable(en):  # code, and the written answers' cells: the student's, as released
            assert zh.source == en.source, (assignment, en.get("id"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_markdown_cell_is_chinese(assignment):
    english = [c.source for c in notebook(assignment).cells if translatable(c)]
    chinese = [c.source for c in notebook(assignment, "zh_CN").cells if translatable(c)]
    assert len(chinese) == len(english) > 0
    untranslated = [en[:70] for en, zh in zip(english, chinese, strict=True) if zh == en or not CJK.search(zh)]
    assert not untranslated, f"{assignment}: cells left in English (translate them in the catalog): {untranslated}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_book_links_open_the_chinese_edition(assignment):
    english = [link for c in notebook(assignment).cells if c.cell_type == "markdown"
               for link in BOOK_LINK.findall(c.source)]
    chinese = [link for c in notebook(assignment, "zh_CN").cells if c.cell_type == "markdown"
               for link in BOOK_LINK.findall(c.source)]
    assert english, f"{assignment}: the English notebook links to no book page"
    assert sorted(chinese) == sorted(link.replace(links.BOOK_URL + "/", links.BOOK_URL + "/zh_CN/", 1)
                                     for link in english)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_language_cell_follows_the_setup_cell(assignment):
    nb = notebook(assignment, "zh_CN")
    assert nb.metadata["gpt2ln"] == {"language": "zh_CN"}
    setup, cell = nb.cells[0], nb.cells[1]
    assert setup.metadata["nbgrader"]["grade_id"] == "install"
    assert cell.cell_type == "code" and cell.get("id") == LANGUAGE_CELL_ID
    assert "nbgrader" not in cell.metadata  # nbgrader keeps it as it is, and never overwrites it
    assert 'os.environ["GPT2LN_LANG"] = "zh"' in cell.source and "英文" in cell.source
    assert sum(c.get("id") == LANGUAGE_CELL_ID for c in nb.cells) == 1


def test_a_cell_without_a_current_translation_stays_english():
    """Translated cells are replaced, a fuzzy or missing one stays English (and is counted), links re-pointed."""
    page = f"{links.BOOK_URL}/chapters/04_pre_ln.html#the-pre-ln-block"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade_id": "install"}}),
        nbformat.v4.new_markdown_cell(f"Read [Chapter 4]({page})."),
        nbformat.v4.new_markdown_cell("Changed since."),
        nbformat.v4.new_markdown_cell("Never translated."),
        nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {"solution": True}}),
    ])
    catalog = Catalog(locale="zh_CN")
    key = "{BOOK_URL}/chapters/04_pre_ln.html#the-pre-ln-block"  # the catalog's own name for the book's address
    catalog.add(f"Read [Chapter 4]({key}).", f"读[第 4 章]({key})。")
    catalog.add("Changed since.", "旧的译文。", flags=["fuzzy"])
    catalog.add("YOUR ANSWER HERE", "在此作答")
    chinese, missing = translated(nb, catalog, "zh_CN")
    assert missing == 2
    assert [c.source for c in chinese.cells[2:]] == [
        f"读[第 4 章]({links.book_page('chapters/04_pre_ln', 'the-pre-ln-block', 'zh_CN')})。",
        "Changed since.", "Never translated.", "YOUR ANSWER HERE"]
    assert "/zh_CN/chapters/04_pre_ln.html#the-pre-ln-block" in chinese.cells[2].source
    assert chinese.cells[1].get("id") == LANGUAGE_CELL_ID and nb.cells[1].cell_type == "markdown"  # a copy


def test_a_course_published_elsewhere_keeps_its_translations(monkeypatch):
    """The catalogs name the book's address {BOOK_URL}: with GPT2LN_BOOK_URL set, every cell still translates."""
    monkeypatch.setattr(links, "BOOK_URL", "https://book.uni.example/ln")
    page = f"{links.BOOK_URL}/chapters/04_pre_ln.html"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass"),
                                         nbformat.v4.new_markdown_cell(f"Read [Chapter 4]({page}).")])
    catalog = Catalog(locale="zh_CN")
    catalog.add("Read [Chapter 4]({BOOK_URL}/chapters/04_pre_ln.html).",
                "读[第 4 章]({BOOK_URL}/chapters/04_pre_ln.html)。")
    chinese, missing = translated(nb, catalog, "zh_CN")
    assert missing == 0
    assert chinese.cells[2].source == "读[第 4 章](https://book.uni.example/ln/zh_CN/chapters/04_pre_ln.html)。"


@pytest.mark.slow
def test_a_chinese_submission_gets_the_chinese_diagnosis_and_the_english_score(tmp_path):
    """Through real nbgrader, one gradebook (the English release's): Misconception 1 handed in from the English
    and from the Chinese notebook scores the same in every cell, and only the Chinese feedback is in Chinese."""
    course = Course(tmp_path)
    shutil.rmtree(course.root / "source")
    transformed_sources(["03_blocks"], course.root / "source")  # what `release` gives nbgrader: the same checksums
    course.release("03_blocks")
    wrong = a03_blocks.WRONG["misconception_1_residual_after_ln"]
    students = {"english": ("en", wrong), "chinese": ("zh_CN", wrong), "chinese-solution": ("zh_CN", Submission())}
    for student, (language, submission) in students.items():
        nb = notebook("03_blocks", language)
        fill_answers(nb, "03_blocks", submission, student)
        folder = course.root / "submitted" / student / "03_blocks"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "03_blocks.ipynb")
    course.autograde("03_blocks")

    english, chinese = course.scores("03_blocks", "english"), course.scores("03_blocks", "chinese")
    assert chinese == english
    assert sum(s for s, _ in chinese.values()) < sum(m for _, m in chinese.values())
    solution = course.scores("03_blocks", "chinese-solution")
    assert all(s == m for s, m in solution.values()), course.feedback("03_blocks", "chinese-solution")

    en_feedback, zh_feedback = course.feedback("03_blocks", "english"), course.feedback("03_blocks", "chinese")
    assert set(zh_feedback) == set(en_feedback) and en_feedback
    assert any("Misconception 1" in message for message in en_feedback.values()), en_feedback
    assert not any(CJK.search(message) for message in en_feedback.values()), en_feedback
    assert any("误区一" in message for message in zh_feedback.values()), zh_feedback
    assert all(CJK.search(message) for message in zh_feedback.values()), zh_feedback
    assert not any("Misconception" in message for message in zh_feedback.values()), zh_feedback
    book_pages = [page for message in zh_feedback.values()
                  for page in re.findall(re.escape(links.BOOK_URL) + r"/(\S+)", message)]
    assert book_pages and all(page.startswith("zh_CN/") for page in book_pages), book_pages  # the Chinese book
