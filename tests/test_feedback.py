"""What a student reads when a check fails: in a notebook, from ``autograder check``, on the feedback page.

A failed check is its message, wrapped, with no frame of the grading library (at most the
student's own line); nbgrader still scores it 0; the feedback page names each test, links
each book reference and holds no absolute path of the grading machine; ``check`` and the
notebook's ``checks.summary()`` give the same numbers, and a hidden-test placeholder never
counts as passed.
"""

import contextlib
import io
import re

import docutils.nodes
import pytest
from feedback_helpers import BOOK, CRASH_LINE, feedback_page, graded_once, notebook
from nbgrader_helpers import Course, Submission, solution_answers

from autograder import check
from autograder.engine.feedback import linked, without_host_paths
from autograder.sandbox import bwrap
from gpt2ln.grading import checks, sections
from gpt2ln.grading.report import WIDTH, CheckFailed, one_reference_each, wrap
from gpt2ln.paths import REPO_ROOT

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r"^\s*File |Traceback \(most recent call last\)|site-packages|gpt2ln/grading/", re.MULTILINE)
HOST_PATH = re.compile(r"(?<![\w.:/])/(work|root|home|tmp|usr|opt|var)/")
TALLY = re.compile(r"(\d+) of (\d+) checks passed\.")


# --- the pieces, without a kernel -------------------------------------------------------------


def test_section_anchors_are_the_ids_sphinx_gives_their_headings():
    for section in sections.ALL:
        assert section.anchor == docutils.nodes.make_id(section.title), section.title
        assert section.url.endswith(f"{section.file.removeprefix('book/').removesuffix('.md')}.html#{section.anchor}")


@pytest.mark.skipif(not (BOOK / "index.html").exists(), reason="the book is not built (make book)")
def test_section_anchors_exist_in_the_built_book():
    for section in sections.ALL:
        page = BOOK / (section.file.removeprefix("book/").removesuffix(".md") + ".html")
        assert f'id="{section.anchor}"' in page.read_text(), f"{page} has no id {section.anchor!r}"


def test_a_reference_is_found_whole_and_becomes_a_link():
    text = f"See {sections.ATTENTION_SCALE}. Then {sections.ATTENTION.name} <again>."
    found = [(text[start:end], section) for start, end, section in sections.find(text)]
    assert found == [(str(sections.ATTENTION_SCALE), sections.ATTENTION_SCALE),
                     (sections.ATTENTION.name, sections.ATTENTION)]
    html = linked(text)
    assert f'<a href="{sections.ATTENTION_SCALE.url}">{sections.ATTENTION_SCALE.name}</a>.' in html
    assert "&lt;again&gt;" in html and "(" + sections.ATTENTION_SCALE.url not in html


def test_a_section_is_cited_once():
    m1 = sections.MISCONCEPTION_1
    text = f"Misconception 1: the shortcut starts at ln(x). See {m1}.\nSee {m1}. See {sections.PRE_LN_BLOCK}."
    assert one_reference_each(text) == f"Misconception 1: the shortcut starts at ln(x). See {m1}. " \
                                       f"See {sections.PRE_LN_BLOCK}."


def test_wrapped_lines_fit_and_addresses_stay_whole():
    text = "word " * 60 + str(sections.MISCONCEPTION_1) + "\n    indented " + "x " * 50
    lines = wrap(text)
    assert all(len(line) <= WIDTH or sections.MISCONCEPTION_1.url in line for line in lines)
    assert any(sections.MISCONCEPTION_1.url in line for line in lines)
    assert all(line.startswith("    ") for line in lines[lines.index(next(ln for ln in lines if "indented" in ln)):])


def test_host_paths_are_removed_and_colours_kept():
    line = (f"\x1b[32m{REPO_ROOT}/gpt2ln/grading/report.py:64\x1b[39m in "
            "/usr/lib/python3.11/site-packages/torch/nn/x.py and /tmp/ipykernel_12/3419.py; "
            "1/sqrt(d) at https://example.org/a/b.html")
    clean = without_host_paths(line)
    assert clean == ("\x1b[32mgpt2ln/grading/report.py:64\x1b[39m in site-packages/torch/nn/x.py and 3419.py; "
                     "1/sqrt(d) at https://example.org/a/b.html")


def test_a_failed_check_is_an_assertion_error_rendered_as_its_message():
    with pytest.raises(AssertionError) as caught, contextlib.redirect_stdout(io.StringIO()):
        checks.gelu_forward(lambda x: x)
    assert isinstance(caught.value, CheckFailed)
    rendered = caught.value._render_traceback_()
    assert "\n".join(rendered).replace("\n", " ").split() == str(caught.value).split()
    assert not FRAME.search("\n".join(rendered))


# --- in a notebook (nbclient), and `autograder check` on the same run --------------------------


def executed(student: str, tmp_path):
    path = tmp_path / student / "03_blocks.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(__import__("nbformat").writes(notebook(student)))
    nb = check.run(path)
    assert not isinstance(nb, str), nb
    return nb


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def shown(output) -> str:
    """What JupyterLab shows for an output: an error's traceback lines, a stream's text, a result's text."""
    if output.output_type == "error":
        return ANSI.sub("", "\n".join(output.traceback))
    return output.get("text") or output.get("data", {}).get("text/plain", "")


def check_report(nb) -> tuple[int, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = check.report(nb)
    return code, printed.getvalue()


@pytest.mark.slow
def test_notebook_shows_the_diagnosis_wrapped_and_check_agrees_with_summary(tmp_path):
    nb = executed("misconception_1", tmp_path)
    assert cell(nb, "setup").outputs == []
    error = next(o for o in cell(nb, "test_pre_ln_block_forward").outputs if o.output_type == "error")
    text = shown(error)
    assert error.ename == "CheckFailed"
    assert "Misconception 1" in text and sections.MISCONCEPTION_1.url in text
    assert not FRAME.search(text) and not HOST_PATH.search(text), text
    assert all(len(line) <= WIDTH or "://" in line for line in text.split("\n")), text
    assert text.count("See Chapter 5, Misconception 1") == 1
    assert [o.output_type for o in cell(nb, "test_post_ln_block_forward").outputs] == ["stream"]

    summaries = [shown(o) for o in cell(nb, "summary").outputs]
    assert len(summaries) == 1 and summaries[0].count("checks passed") == 1, summaries
    code, printed = check_report(nb)
    assert code == 1
    assert TALLY.search(printed).groups() == TALLY.search(summaries[0]).groups() == ("3", "6")
    assert "run only at grading" in printed and "hidden  test_pre_ln_block_hidden (2 points)" in printed
    assert "FAILED  PreLNBlock: forward (0 / 2)" in printed and "PASSED  PostLNBlock: forward (2 / 2)" in printed


@pytest.mark.slow
def test_a_crash_shows_the_students_line_and_a_blank_notebook_earns_nothing(tmp_path):
    nb = executed("crash", tmp_path)
    text = shown(next(o for o in cell(nb, "test_post_ln_block_forward").outputs if o.output_type == "error"))
    assert "your code raised an error: RuntimeError" in text
    assert re.search(r"Your code raised it at Cell In\[\d+\], line \d+: " + re.escape(CRASH_LINE), text), text
    assert not FRAME.search(text) and not HOST_PATH.search(text), text
    assert "Your code raised it at Cell In[" in check_report(nb)[1]

    blank = executed("blank", tmp_path)
    code, printed = check_report(blank)
    summary = shown(cell(blank, "summary").outputs[0])
    assert code == 1 and TALLY.search(printed).groups() == TALLY.search(summary).groups() == ("0", "6")
    assert "PASSED" not in printed and "2 hidden tests (4 points) run only at grading" in printed


def test_summary_counts_a_check_whose_cell_stopped_before_it():
    """In a kernel, a test cell that raised before its check (a NameError) is a failed check, as in ``check``."""
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    try:
        shell.run_cell("from gpt2ln.grading import checks, report; report.RESULTS.clear()")
        shell.run_cell("checks.pre_ln_block_forward(NoSuchBlock)", store_history=True)
        shell.run_cell("import torch; checks.gelu_properties(lambda x: 0.5 * x * (1 + torch.tanh("
                       "0.7978845608 * (x + 0.044715 * x**3))))", store_history=True)
        table = str(shell.user_ns["checks"].summary())
    finally:
        shell.run_cell("report.RESULTS.clear()")
    assert "FAILED  PreLNBlock: forward" in table and "did not run" in table
    assert "1 of 2 checks passed." in table


# --- through real nbgrader ---------------------------------------------------------------------


@pytest.mark.slow
def test_nbgrader_still_scores_a_failed_check_zero(tmp_path):
    course = Course(tmp_path)
    course.release("03_blocks")
    wrong = solution_answers("03_blocks")["pre_ln_block"].replace(
        "x = x + self.attn(self.ln_1(x))", "h = self.ln_1(x)\n        x = h + self.attn(h)").replace(
        "x = x + self.mlp(self.ln_2(x))", "h = self.ln_2(x)\n        x = h + self.mlp(h)")
    course.submit("03_blocks", "wrong", Submission(answers={"pre_ln_block": wrong}))
    course.autograde("03_blocks")
    scores = course.scores("03_blocks", "wrong")
    assert scores["test_pre_ln_block_forward"][0] == 0 and scores["test_pre_ln_block_gradients"][0] == 0
    assert scores["test_post_ln_block_forward"] == (2, 2)
    assert "Misconception 1" in course.feedback("03_blocks", "wrong")["test_pre_ln_block_forward"]


@pytest.fixture(scope="module")
def graded():
    if not bwrap.available():
        pytest.skip("the autograder's sandbox needs bubblewrap, setpriv and root")
    return graded_once()


@pytest.mark.slow
def test_feedback_page_names_each_test_links_the_book_and_holds_no_host_path(graded):
    for student in ("misconception_1", "crash"):
        # the test's own setting points the book links at the built book here (file://): not the grader's paths
        page = feedback_page(graded, student).read_text().replace(BOOK.as_uri(), "BOOK_URL")
        visible = re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.DOTALL)
        assert not HOST_PATH.search(visible), HOST_PATH.search(visible)
        assert str(REPO_ROOT) not in page and "report.py" not in visible and "Test cell" not in visible
    page = feedback_page(graded, "misconception_1").read_text().replace(BOOK.as_uri(), "BOOK_URL")
    assert "Traceback" not in re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL)
    toc = page[page.index('<div id="toc">'):page.index("</div>", page.index('<div id="toc">'))]
    assert '>PreLNBlock: gradients</a> — <span class="test-score">0.0 / 2.0</span>' in toc
    assert '>PostLNBlock: forward</a> — <span class="test-score">2.0 / 2.0</span>' in toc
    earned = sum(float(score) for score in re.findall(r'"test-score">([\d.]+) /', toc))
    assert earned < 15 and f"Total: {earned:.1f} / 15.0 points" in toc
    anchor = sections.MISCONCEPTION_1.anchor
    assert f'<a href="BOOK_URL/chapters/05_misconceptions.html#{anchor}">{sections.MISCONCEPTION_1.name}</a>' in page
    crash = feedback_page(graded, "crash").read_text()
    assert "Your code raised it at Cell In[" in crash and "self.attn(x)[..., :3]" in crash


@pytest.mark.slow
def test_no_message_of_the_blocks_library_cites_a_section_twice():
    from submissions import a03_blocks

    for name, submission in a03_blocks.WRONG.items():
        code = solution_answers("03_blocks")
        for grade_id, edits in submission.patches.items():
            for old, new in edits:
                code[grade_id] = code[grade_id].replace(old, new)
        code.update(submission.answers)
        namespace = {}
        exec("import torch\nimport torch.nn as nn\nfrom gpt2ln import MLP, CausalSelfAttention, GPTConfig, LayerNorm\n"
             + "\n".join(code.values()), namespace)
        for check_name in ("pre_ln_block_forward", "pre_ln_block_gradients", "post_ln_block_forward",
                           "post_ln_block_properties"):
            block = namespace["PreLNBlock" if check_name.startswith("pre") else "PostLNBlock"]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    getattr(checks, check_name)(block)
            except AssertionError as failure:
                message = str(failure)
                cited = [s for start, _, s in sections.find(message) if message[max(0, start - 4):start] == "See "]
                assert len(cited) == len(set(cited)), f"{name}, {check_name}: {message}"
