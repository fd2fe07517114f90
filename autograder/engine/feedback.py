"""Feedback HTML that does not give the hidden tests away, and that accounts for everyone.

nbgrader's feedback shows each test cell as it was graded, hidden tests included, word for
word (nbgrader issue #917), and whatever they printed or the traceback quoted from them.
:class:`HideHiddenTests` runs nbgrader's own ClearHiddenTests on the graded notebook (the
cell keeps its visible part and a note) and reduces the outputs of those cells to the error
name and message (the check's explanation), dropping tracebacks and printed text.

nbgrader also skips, silently, a submission it could not grade (a corrupt notebook): here
such a student gets a feedback page that says why their work was not graded.
"""

import html
import json
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from .course import Course

HIDDEN_NOTE = "# (hidden tests ran here at grading; they are not shown)"


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not self._remove_hidden_test_region(cell):
            return cell, resources
        cell.source = cell.source.rstrip() + "\n" + HIDDEN_NOTE
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
                outputs.append(output)
        cell.outputs = outputs
        return cell, resources


FEEDBACK_PREPROCESSORS = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

FAILED_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{assignment}: not graded</title></head>
<body><h1>{assignment}: your submission could not be graded</h1>
<p>{error}</p>
<p>Nothing was scored. Please check the notebook opens in Jupyter, then contact your instructor.</p>
</body></html>
"""


def generate_feedback(out: Path, assignment: str) -> list[str]:
    """Write feedback/<student>/<assignment>/*.html for every student; returns notes on failed ones."""
    course = Course(out.resolve(), assignment)
    converter = GenerateFeedback(coursedir=course.coursedir("*"), config=course.config())
    converter.preprocessors = FEEDBACK_PREPROCESSORS
    converter.force = True
    if any((course.root / "autograded").glob(f"*/{assignment}")):
        converter.start()
    notes = []
    for result_file in sorted((course.state / "results").glob("*.json")):
        result = json.loads(result_file.read_text())["result"]
        if result["status"] != "failed":
            continue
        page = course.root / "feedback" / result["student"] / assignment / f"{assignment}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(FAILED_PAGE.format(assignment=html.escape(assignment), error=html.escape(result["error"])))
        notes.append(f"{result['student']}: not graded, feedback explains why ({result['error']})")
    return notes
