"""How a check's outcome reaches the student: one paragraph of prose, and a summary table.

Every check function in ``gpt2ln.grading.checks`` is wrapped by ``graded``: it prints one
line when it passes, raises a ``CheckFailed`` with the feedback when it fails, and records
the outcome here. ``summary()`` shows the table (the last cell of every notebook), so
"Run All" or ``python -m autograder check NOTEBOOK`` shows every visible test at once.

A ``CheckFailed`` is an ``AssertionError`` (nbgrader scores the cell 0), and Jupyter shows it
as its message only: IPython's ``_render_traceback_`` protocol replaces the traceback, so no
frame of this library is shown, at most the student's own line where their code raised.

    Jupyter's error output    traceback = wrap(message) [+ "Your code raised it at Cell In[5], line 9: ..."]
                              ename = "CheckFailed", evalue = message (what report.json and ``check`` quote)
"""

import contextlib
import functools
import re
import sys
import textwrap
import time
import traceback
import warnings
from dataclasses import dataclass

from ..experiments.threads import torch_threads
from . import sections
from .compare import StudentCodeError

WIDTH = 88  # characters per line of feedback: fits a notebook's output area and a feedback page


@dataclass
class CheckResult:
    title: str
    passed: bool
    message: str  # the detail when it passed, the feedback when it failed
    seconds: float


RESULTS: dict[str, CheckResult] = {}


class CheckFailed(AssertionError):
    """A check that failed: its message is the whole feedback, shown without a traceback."""

    def __init__(self, feedback: str, where: str | None = None):
        super().__init__(feedback)
        self.where = where  # the student's line where their code raised, if it did

    def _render_traceback_(self) -> list[str]:
        where = [] if self.where is None else ["", *wrap(f"Your code raised it at {self.where}")]
        return wrap(str(self)) + where


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """The lines of ``text`` wrapped at ``width``; an address is never broken, indented lines keep their indent."""
    lines = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                               break_on_hyphens=False) or [""]
    return lines


def one_reference_each(text: str) -> str:
    """``text`` with every repeated "See <section>." sentence removed (a diagnosis and its check may both cite it)."""
    seen, cuts = set(), []
    for start, end, section in sections.find(text):
        sentence_start = text.rfind("See ", 0, start)
        is_see = sentence_start == start - 4 and text[end : end + 1] == "."
        if is_see and section in seen:
            cuts.append((len(text[:sentence_start].rstrip()), end + 1))
        seen.add(section)
    for start, end in reversed(cuts):
        text = text[:start] + text[end:]
    return text


def where_student_code_raised(error: BaseException) -> str | None:
    """'Cell In[5], line 9: x = h + self.attn(h)': the last frame of ``error`` in a notebook cell, if any."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or error.__traceback__ is None:
        return None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        name = shell.compile.format_code_name(frame.filename)
        if name is not None:
            return f"{name[0]} {name[1]}, line {frame.lineno}: {(frame.line or '').strip()}"
    return None


@contextlib.contextmanager
def no_stderr():
    """Keep a check's cell off stderr: nbgrader scores 0 any test cell that wrote to stderr.

    A warning raised while a check runs the student's code (a ``UserWarning`` of their own,
    PyTorch's "converting a tensor with requires_grad=True to a scalar") is not the student's
    mistake to lose points for; it is silenced, and anything printed to ``sys.stderr`` goes
    to stdout instead.
    """
    with warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        yield


def _not_implemented(message: str) -> bool:
    return message.startswith("NotImplementedError")


def graded(title: str, section=None):
    """Decorate a check: record it, print a line on success, turn any error into a ``CheckFailed``.

    Errors raised by the student's own code (a ``StudentCodeError``) become feedback that says
    the code crashed and how, and where in their cell; ``NotImplementedError`` says the answer
    is still the stub. A message that names no book section gets ``section`` (where the book
    explains the topic); a section is cited once. The wrapper's ``title`` names the check.
    """

    def with_reference(feedback: str) -> str:
        feedback = feedback if section is None or "See " in feedback else f"{feedback}\nSee {section}."
        return one_reference_each(feedback)

    def decorate(check):
        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            where = None
            try:
                with torch_threads(1), no_stderr():  # tiny tensors: other threads only wait
                    detail = check(*args, **kwargs) or "passed"
            except StudentCodeError as err:
                message = str(err)
                if _not_implemented(message):
                    feedback = (f"{title}: not answered yet. Your code still raises NotImplementedError: "
                                "replace `raise NotImplementedError()` in the answer cell with your code.")
                else:
                    feedback = with_reference(f"{title}: your code raised an error: {message}")
                    where = where_student_code_raised(err.__cause__ or err)
            except AssertionError as err:
                feedback = with_reference(f"{title}: {err}")
            else:
                RESULTS[title] = CheckResult(title, True, detail, time.perf_counter() - start)
                print(f"PASSED  {title}: {detail}")
                return
            RESULTS[title] = CheckResult(title, False, feedback, time.perf_counter() - start)
            raise CheckFailed(feedback, where) from None

        wrapper.title = title
        return wrapper

    return decorate


CHECK_CALL = re.compile(r"^[^#\n]*?\bchecks\.(\w+)\(", re.MULTILINE)


def check_titles(source: str) -> list[str]:
    """The titles of the checks a cell's source calls ("PreLNBlock: gradients"), comments ignored."""
    from . import checks

    titles = [getattr(getattr(checks, name, None), "title", None) for name in CHECK_CALL.findall(source)]
    return [title for title in titles if title]


def tally(passed: int, total: int) -> str:
    """The closing line of ``summary()`` and of ``autograder check``: the same words, the same numbers."""
    return f"{passed} of {total} checks passed."


HIDDEN_NOTE = "Hidden tests (other shapes, configurations, float64) run only at grading."


class Summary(str):
    """The summary table; a notebook shows it once, as the cell's result (not printed as well)."""

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _called_but_not_run() -> list[str]:
    """Checks the notebook's cells called that never ran: the cell stopped before (a NameError...)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    inputs = shell.user_ns.get("In", []) if shell is not None else []
    titles = dict.fromkeys(title for source in inputs for title in check_titles(source))
    return [title for title in titles if title not in RESULTS]


def summary(width: int = 100) -> Summary:
    """One line per check this notebook called: passed or failed, and why (the first line of the feedback)."""
    not_run = _called_but_not_run()
    if not RESULTS and not not_run:
        return Summary("No checks have run yet: run the test cells above (Run > Run All Cells).")
    rows = [(r.title, r.passed, r.message) for r in RESULTS.values()]
    rows += [(title, False, "did not run: its cell stopped with an error before the check (see under that cell)")
             for title in not_run]
    name_width = max(len(title) for title, _, _ in rows) + 2
    room = max(width - 8 - name_width, 30)
    lines = [f"{'result':<8}{'check':<{name_width}}feedback"]
    for title, passed, message in rows:
        first_line = message.split("\n")[0].removeprefix(title + ": ")
        if len(first_line) > room:
            first_line = first_line[: room - 3] + "..."
        lines.append(f"{'PASSED' if passed else 'FAILED':<8}{title:<{name_width}}{first_line}")
    lines += [tally(sum(passed for _, passed, _ in rows), len(rows)), HIDDEN_NOTE]
    return Summary("\n".join(lines))


def error_text(output: dict) -> str:
    """What a notebook's error output says, in words: a check's message alone, else "NameError: ...".

    The one reading of an error output shared by ``autograder check``, ``report.json`` and the feedback page."""
    name, value = output.get("ename", ""), output.get("evalue", "")
    return value if name in ("CheckFailed", "AssertionError") and value else f"{name}: {value}"
