"""Feedback HTML that does not give the hidden tests away, and that accounts for everyone.

nbgrader's feedback shows each test cell as it was graded, hidden tests included, word for
word (nbgrader issue #917), and whatever they printed or the traceback quoted from them.
:class:`HideHiddenTests` runs nbgrader's own ClearHiddenTests on the graded notebook (the
cell keeps its visible part and a note) and reduces the outputs of those cells to the error
name and message (the check's explanation), dropping tracebacks and printed text.

nbgrader also skips, silently, a submission it could not grade (a corrupt notebook): here
such a student gets a feedback page that says why their work was not graded.

What a student reads, in the order the page is built, in the notebook's language (English, or
Chinese for a Chinese notebook or with ``GPT2LN_LANG=zh``: ``gpt2ln.grading.i18n.notebook_language``):

    PageLanguage      the notebook's language, and the page's own words in it (``resources["gpt2ln"]``)
    NameTests         each test gets the name of the check it calls ("PreLNBlock: gradients"),
                      read before the hidden tests' source is removed
    HideHiddenTests   hidden tests' source and outputs removed (above)
    ReadableOutputs   a failed check becomes prose: its message in paragraphs, every book
                      reference a link (``gpt2ln.grading.sections``, ``gpt2ln.links.BOOK_URL``);
                      any other output loses the grading machine's absolute paths
    template          ``templates/feedback_gpt2ln``: nbgrader's page, with a summary that names
                      each test and its points, the total, and outputs that wrap
"""

import html
import re
import sys
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_output
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from traitlets.config import Config

from gpt2ln.grading import sections
from gpt2ln.grading.i18n import _, language, notebook_language, using
from gpt2ln.grading.report import check_titles, error_text, where_line
from gpt2ln.paths import REPO_ROOT

from .course import Course
from .results import ResultStore

TEMPLATES = Path(__file__).resolve().parent / "templates"
NBGRADER_TEMPLATES = Path(sys.modules["nbgrader"].__file__).parent / "server_extensions" / "formgrader" / "templates"



def page_words() -> dict[str, str]:
    """The page's own words (the template's), in the current language."""
    return {"points": _("points"), "total": _("Total:"), "late_penalty": _("Late submission penalty:"),
            "score": _("Score:"), "top": _("(Top)"), "answer": _("Student's answer"), "task": _("Student's task"),
            "grade_cell": _("Grade cell:"), "comments": _("Comments:")}


class PageLanguage(NbGraderPreprocessor):
    """The notebook's language, and the page's words in it: every later step makes its words in that language."""

    def preprocess(self, nb, resources):
        lang = notebook_language(nb)
        with using(lang):
            resources["gpt2ln"] = {"language": lang, "words": page_words()}
        return nb, resources


class InPageLanguage(NbGraderPreprocessor):
    """A preprocessor whose cells are handled in the page's language (set by ``PageLanguage``)."""

    def preprocess(self, nb, resources):
        with using(resources.get("gpt2ln", {}).get("language") or language()):
            return super().preprocess(nb, resources)


class HideHiddenTests(InPageLanguage, ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not self._remove_hidden_test_region(cell):
            return cell, resources
        cell.source = cell.source.rstrip() + "\n" + _("# (hidden tests ran here at grading; they are not shown)")
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
                outputs.append(output)
        cell.outputs = outputs
        return cell, resources


class NameTests(InPageLanguage):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            cell.metadata["gpt2ln_title"] = ", ".join(check_titles(cell.source))
        return cell, resources


ANSI = re.compile(r"(\x1b\[[0-9;]*m)")
ABSOLUTE_FOLDERS = re.compile(r"(?<![\w.:/~-])(?:/[^\s/\"'<>:()]+)+/(?=[^\s/]+)")  # "/a/b/" before a file name


def without_host_paths(text: str) -> str:
    """``text`` with no absolute path of this machine: the course's files relative to the repository
    ("gpt2ln/grading/compare.py"), installed ones from "site-packages/", anything else its file name."""
    def scrub(piece: str) -> str:
        piece = piece.replace(f"{REPO_ROOT}/", "")
        piece = re.sub(r"(?<![\w.:/~-])(?:/[^\s/\"'<>:()]+)+/(site-packages|dist-packages)/", r"\1/", piece)
        return ABSOLUTE_FOLDERS.sub("", piece)

    return "".join(piece if ANSI.fullmatch(piece) else scrub(piece) for piece in ANSI.split(text))


def linked(text: str) -> str:
    """``text`` as HTML, every book reference a link to its section of the book."""
    parts, last = [], 0
    for start, end, section in sections.find(text):
        parts += [html.escape(text[last:start]),
                  f'<a href="{html.escape(section.url)}">{html.escape(section.name)}</a>']
        last = end
    return "".join(parts) + html.escape(text[last:])


def prose(message: str, where: str | None) -> str:
    """A check's message as paragraphs (one per line of the message), with the student's own line last."""
    paragraphs = [f"<p>{linked(line)}</p>" for line in message.split("\n") if line.strip()]
    if where:
        paragraphs.append(f'<p class="where">{html.escape(where)}</p>')
    return '<div class="gpt2ln-feedback">' + "".join(paragraphs) + "</div>"


class ReadableOutputs(InPageLanguage):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for index, output in enumerate(cell.get("outputs", [])):
            if output.get("output_type") == "error" and output.get("ename") in ("CheckFailed", "AssertionError"):
                where = where_line(output.get("traceback", []))
                message = without_host_paths(error_text(output))
                cell.outputs[index] = new_output("display_data", data={
                    "text/html": prose(message, where and without_host_paths(where)), "text/plain": message})
            elif output.get("output_type") == "error":
                output["evalue"] = without_host_paths(output.get("evalue", ""))
                output["traceback"] = [without_host_paths(line) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream":
                output["text"] = without_host_paths(output.get("text", ""))
            elif "text/plain" in output.get("data", {}):
                output["data"]["text/plain"] = without_host_paths(output["data"]["text/plain"])
        return cell, resources


FEEDBACK_PREPROCESSORS = [PageLanguage, GetGrades, NameTests, HideHiddenTests, ReadableOutputs,
                          CSSHTMLHeaderPreprocessor]

class Feedback(GenerateFeedback):
    """nbgrader's feedback converter with the preprocessors above and the ``feedback_gpt2ln`` template."""

    def __init__(self, coursedir=None, **kwargs):
        super().__init__(coursedir=coursedir, **kwargs)
        settings = Config()
        settings.HTMLExporter.template_name = "feedback_gpt2ln"
        settings.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
        # nbgrader's template is extended by name ("feedback/index.html.j2"): its folder is a search path too
        settings.HTMLExporter.extra_template_paths = [*self.config.HTMLExporter.extra_template_paths,
                                                      str(NBGRADER_TEMPLATES)]
        self.update_config(settings)
        self.preprocessors = FEEDBACK_PREPROCESSORS


FAILED_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{heading}</h1>
<p>{error}</p>
<p>{advice}</p>
</body></html>
"""


def failed_page(assignment: str, error: str) -> str:
    """The page of a submission that could not be graded, in the language of ``GPT2LN_LANG``."""
    name = html.escape(assignment)
    return FAILED_PAGE.format(
        title=_("{assignment}: not graded").format(assignment=name),
        heading=_("{assignment}: your submission could not be graded").format(assignment=name),
        error=html.escape(without_host_paths(error)),
        advice=_("Nothing was scored. Please check the notebook opens in Jupyter, then contact your instructor."))


def generate_feedback(out: Path, assignment: str) -> list[str]:
    """Write feedback/<student>/<assignment>/*.html for every student; returns notes on failed ones."""
    course = Course(out.resolve(), assignment)
    converter = Feedback(coursedir=course.coursedir("*"), config=course.config())
    converter.force = True
    if any((course.root / "autograded").glob(f"*/{assignment}")):
        converter.start()
    notes = []
    for entry in ResultStore(course).all().values():
        result = entry.result
        if result.status != "failed":
            continue
        page = course.root / "feedback" / result.student / assignment / f"{assignment}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(failed_page(assignment, result.error))
        notes.append(f"{result.student}: not graded, feedback explains why ({result.error})")
    return notes
