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

Every word is made in the language of :mod:`.i18n` (``GPT2LN_LANG``) when the check runs; a
Chinese line is wrapped at the same width, counting a Chinese character as two columns.
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
from .i18n import LANGUAGES, _, is_wide, lazy, pad, using, width

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
        where = [] if self.where is None else ["", *wrap(RAISED_AT.translated().format(where=self.where))]
        return wrap(str(self)) + where


RAISED_AT = lazy("Your code raised it at {where}")
SEE = lazy("See {section}.")
TITLED = lazy("{title}: {message}")


def where_line(lines: list[str]) -> str | None:
    """The line of a rendered ``CheckFailed`` that says where the student's code raised, in any language."""
    prefixes = []
    for lang in LANGUAGES:
        with using(lang):
            prefixes.append(RAISED_AT.translated().split("{where}")[0])
    return next((line for line in lines if line.startswith(tuple(prefixes))), None)


def without_title(message: str, title: str) -> str:
    """A check's message without its leading "<title>: " (the table and ``check`` name the check already)."""
    return message.removeprefix(TITLED.translated().format(title=title, message=""))


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """The lines of ``text`` wrapped at ``width``; an address is never broken, indented lines keep their indent."""
    lines = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        if any(is_wide(c) for c in line):
            lines += _wrap_wide(line, width, indent)
            continue
        lines += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                               break_on_hyphens=False) or [""]
    return lines


NO_LINE_START = set("，。：；、）》」』！？,.:;)!?")  # punctuation that never begins a line
NO_LINE_END = set("（《「『")  # nor ends one


def _wrap_wide(line: str, columns: int, indent: str) -> list[str]:
    """A line with Chinese in it, wrapped at ``columns`` display columns: between any two Chinese characters or at a
    space, never inside a word or an address; closing punctuation hangs at the end of a line (the lines are filled
    to two columns less), an opening bracket moves to the next."""
    pieces = re.findall(r"\s+|[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]+|.", line)  # spaces, words, one wide char
    lines, current = [], ""
    for piece in pieces:
        fits = width(current.rstrip() + piece) <= columns - 2 or not current.strip() or piece[0] in NO_LINE_START
        if fits or piece.isspace():
            current += piece
            continue
        carried = current[-1] if current[-1:] in NO_LINE_END else ""
        lines.append(current[: len(current) - len(carried)].rstrip())
        current = indent + carried + piece
    lines.append(current.rstrip())
    return lines


def one_reference_each(text: str) -> str:
    """``text`` with every repeated "See <section>." sentence removed (a diagnosis and its check may both cite it)."""
    before, after = SEE.translated().split("{section}")
    seen, cuts = set(), []
    for start, end, section in sections.find(text):
        sentence_start = text.rfind(before, 0, start)
        is_see = sentence_start == start - len(before) and text[end : end + len(after)] == after
        if is_see and section in seen:
            cuts.append((len(text[:sentence_start].rstrip()), end + len(after)))
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


def graded(title, section=None):
    """Decorate a check: record it, print a line on success, turn any error into a ``CheckFailed``.

    Errors raised by the student's own code (a ``StudentCodeError``) become feedback that says
    the code crashed and how, and where in their cell; ``NotImplementedError`` says the answer
    is still the stub. A message that names no book section gets ``section`` (where the book
    explains the topic); a section is cited once. The wrapper's ``title`` names the check
    (a ``lazy`` text: "PreLNBlock: forward", "PreLNBlock：前向传播").
    """

    def with_reference(feedback: str) -> str:
        see = SEE.translated()
        if section is not None and see.split("{section}")[0] not in feedback:
            feedback = f"{feedback}\n{see.format(section=section)}"
        return one_reference_each(feedback)

    def decorate(check):
        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            where, name = None, str(title)
            try:
                with torch_threads(1), no_stderr():  # tiny tensors: other threads only wait
                    detail = check(*args, **kwargs) or _("passed")
            except StudentCodeError as err:
                message = str(err)
                if _not_implemented(message):
                    feedback = _("{title}: not answered yet. Your code still raises NotImplementedError: replace "
                                 "`raise NotImplementedError()` in the answer cell with your code.").format(title=name)
                else:
                    feedback = with_reference(_("{title}: your code raised an error: {message}").format(
                        title=name, message=message))
                    where = where_student_code_raised(err.__cause__ or err)
            except AssertionError as err:
                feedback = with_reference(TITLED.translated().format(title=name, message=err))
            else:
                RESULTS[name] = CheckResult(name, True, detail, time.perf_counter() - start)
                print(f"{pad(_('PASSED'), 8)}{TITLED.translated().format(title=name, message=detail)}")
                return
            RESULTS[name] = CheckResult(name, False, feedback, time.perf_counter() - start)
            raise CheckFailed(feedback, where) from None

        wrapper.title = title
        return wrapper

    return decorate


CHECK_CALL = re.compile(r"^[^#\n]*?\bchecks\.(\w+)\(", re.MULTILINE)


def check_titles(source: str) -> list[str]:
    """The titles of the checks a cell's source calls ("PreLNBlock: gradients"), comments ignored."""
    from . import checks

    titles = [getattr(getattr(checks, name, None), "title", None) for name in CHECK_CALL.findall(source)]
    return [str(title) for title in titles if title]


def tally(passed: int, total: int) -> str:
    """The closing line of ``summary()`` and of ``autograder check``: the same words, the same numbers."""
    return _("{passed} of {total} checks passed.").format(passed=passed, total=total)


HIDDEN_NOTE = lazy("Hidden tests (other shapes, configurations, float64) run only at grading.")


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


def summary(columns: int = 100) -> Summary:
    """One line per check this notebook called: passed or failed, and why (the first line of the feedback)."""
    not_run = _called_but_not_run()
    if not RESULTS and not not_run:
        return Summary(_("No checks have run yet: run the test cells above (Run > Run All Cells)."))
    rows = [(r.title, r.passed, r.message) for r in RESULTS.values()]
    did_not_run = _("did not run: its cell stopped with an error before the check (see under that cell)")
    rows += [(title, False, did_not_run) for title in not_run]
    name_width = max(width(title) for title, _passed, _message in rows) + 2
    room = max(columns - 8 - name_width, 30)
    lines = [pad(_("result"), 8) + pad(_("check"), name_width) + _("feedback")]
    for title, passed, message in rows:
        first_line = without_title(message.split("\n")[0], title)
        if width(first_line) > room:
            first_line = _shorten(first_line, room - 3) + "..."
        lines.append(pad(_("PASSED") if passed else _("FAILED"), 8) + pad(title, name_width) + first_line)
    lines += [tally(sum(passed for _title, passed, _message in rows), len(rows)), str(HIDDEN_NOTE)]
    return Summary("\n".join(lines))


def _shorten(text: str, columns: int) -> str:
    """The longest start of ``text`` that takes at most ``columns`` columns."""
    text = text[:columns]  # a character takes at least one column
    while width(text) > columns:
        text = text[:-1]
    return text


def error_text(output: dict) -> str:
    """What a notebook's error output says, in words: a check's message alone, else "NameError: ...".

    The one reading of an error output shared by ``autograder check``, ``report.json`` and the feedback page."""
    name, value = output.get("ename", ""), output.get("evalue", "")
    return value if name in ("CheckFailed", "AssertionError") and value else f"{name}: {value}"
