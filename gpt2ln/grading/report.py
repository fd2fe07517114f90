"""A registry of the checks run in this kernel, so a notebook can end with a summary table.

Every check function in ``gpt2ln.grading.checks`` is wrapped by ``graded``: it prints one
line when it passes, re-raises an ``AssertionError`` with the feedback when it fails, and
records the outcome here. ``summary()`` prints the table (the last cell of every notebook),
so "Run All" or ``python -m autograder check NOTEBOOK`` shows every visible test at once.
"""

import contextlib
import functools
import time
from dataclasses import dataclass

import torch

from .compare import StudentCodeError


@dataclass
class CheckResult:
    title: str
    passed: bool
    message: str  # the detail when it passed, the feedback when it failed
    seconds: float


RESULTS: dict[str, CheckResult] = {}


@contextlib.contextmanager
def one_thread():
    """Run on one CPU thread: the checks' tensors are tiny, and with several threads every small op
    waits for the others (20x slower on a busy 2-core machine). The kernel's setting is restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _not_implemented(message: str) -> bool:
    return message.startswith("NotImplementedError")


def graded(title: str, section=None):
    """Decorate a check: record it, print a line on success, turn any error into an ``AssertionError``.

    Errors raised by the student's own code (a ``StudentCodeError``) become feedback that says
    the code crashed and how; ``NotImplementedError`` says the answer is still the stub. A
    message that names no book section gets ``section`` (where the book explains the topic).
    """

    def with_reference(feedback: str) -> str:
        return feedback if section is None or "See " in feedback else f"{feedback}\nSee {section}."


    def decorate(check):
        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                with one_thread():
                    detail = check(*args, **kwargs) or "passed"
            except StudentCodeError as err:
                message = str(err)
                if _not_implemented(message):
                    feedback = (f"{title}: not answered yet. Your code still raises NotImplementedError: "
                                "replace `raise NotImplementedError()` in the answer cell with your code.")
                else:
                    feedback = with_reference(f"{title}: your code raised an error: {message}")
                RESULTS[title] = CheckResult(title, False, feedback, time.perf_counter() - start)
                raise AssertionError(feedback) from None
            except AssertionError as err:
                feedback = with_reference(f"{title}: {err}")
                RESULTS[title] = CheckResult(title, False, feedback, time.perf_counter() - start)
                raise AssertionError(feedback) from None
            RESULTS[title] = CheckResult(title, True, detail, time.perf_counter() - start)
            print(f"PASSED  {title}: {detail}")

        return wrapper

    return decorate


def summary(width: int = 100) -> str:
    """Print (and return) one line per check run in this kernel: passed or failed, and why."""
    if not RESULTS:
        text = "No checks have run yet: run the test cells above (Run > Run All Cells)."
        print(text)
        return text
    name_width = max(len(r.title) for r in RESULTS.values()) + 2
    lines = [f"{'result':<8}{'check':<{name_width}}feedback"]
    for r in RESULTS.values():
        first_line = r.message.split("\n")[0]
        if r.title and first_line.startswith(r.title + ": "):
            first_line = first_line[len(r.title) + 2 :]
        room = max(width - 8 - name_width, 30)
        if len(first_line) > room:
            first_line = first_line[: room - 3] + "..."
        lines.append(f"{'PASSED' if r.passed else 'FAILED':<8}{r.title:<{name_width}}{first_line}")
    passed = sum(r.passed for r in RESULTS.values())
    lines.append(f"{passed} of {len(RESULTS)} checks passed.")
    text = "\n".join(lines)
    print(text)
    return text
