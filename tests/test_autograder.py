"""The autograder on a tiny fixture assignment: a whole batch with every kind of bad input.

One batch (two workers) holds right and wrong answers, each of nbgrader's failure modes and
each sandbox attack; the tests below read its report, CSV, notebooks and feedback.
"""

import copy
import json
import os
import socket
import subprocess
import sys

import nbformat
import pytest

from autograder.engine.course import Course, prepare
from autograder.sandbox import bwrap
from tests.autograder_fixtures import tiny

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
]
PYTHON = sys.executable
DEFINE = "\ndef double(x):\n    return 2 * x\n"


# the language its checks see, when the answer cell runs, and doubling only in Chinese
LANGUAGE_ANSWER = (
    "import os\nprint('GPT2LN_LANG:', os.environ.get('GPT2LN_LANG'))\n"
    "def double(x):\n    return 2 * x if os.environ.get('GPT2LN_LANG') == 'zh' else x"
)


def chinese(nb):
    nb.metadata["gpt2ln"] = {"language": "zh_CN"}


def attack(code: str) -> tuple:
    """An answer cell that attempts something, prints what happened, then answers correctly."""
    return (code + DEFINE,)


@pytest.fixture(scope="module")
def listener():
    """A service on the grading machine's loopback that a sandboxed kernel must not reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    root = tmp_path_factory.mktemp("batch")
    solutions, out = root / "solutions", root / "out"
    tiny.write_source(solutions)
    course = Course(out, tiny.ASSIGNMENT)
    prepare(course, solutions)
    release = course.release_notebook()

    def duplicate(nb):
        nb.cells.insert(len(nb.cells), copy.deepcopy(tiny.cell(nb, "test_visible")))

    def delete_after_prompt(nb):  # the cell before it is a read-only prompt (nbgrader's KeyError)
        nb.cells.remove(tiny.cell(nb, "test_visible"))

    def tamper(nb):
        tiny.cell(nb, "test_hidden").source = "pass"

    swallow = "while True:\n    try:\n        while True:\n            pass\n"
    swallow += "    except KeyboardInterrupt:\n        pass\n"
    variants = {
        "alice": (tiny.RIGHT,),
        "bob": (tiny.WRONG,),
        "carol": (tiny.RIGHT, duplicate),
        "dave": (tiny.RIGHT, delete_after_prompt),
        "erin": (tiny.WRONG, tamper),
        "frank": '{"cells": [ this is not json',
        "gina": ("torch.equal = lambda a, b: True\n" + tiny.WRONG,),
        "hank": ("import gpt2ln.grading\n" + tiny.RIGHT,),
        "jill": ("exec('torch.' + 'equal = lambda a, b: True')\n" + tiny.WRONG,),  # invisible to static analysis
        "x_socket": attack(
            f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {listener}), timeout=2)\n"
            "    print('ATTACK SUCCEEDED')\nexcept OSError as error:\n    print('blocked:', error)"
        ),
        "x_gradebook": attack(
            f"try:\n    print('ATTACK SUCCEEDED', len(open({str(out / 'gradebook.db')!r}, 'rb').read()))\n"
            "except OSError as error:\n    print('blocked:', error)"
        ),
        "x_peek": attack(
            f"for path in [{str(out / 'submitted' / 'alice' / 'tiny' / 'tiny.ipynb')!r}, "
            f"{str(solutions / 'tiny' / 'tiny.ipynb')!r}]:\n"
            "    try:\n        print('ATTACK SUCCEEDED', len(open(path).read()))\n"
            "    except OSError as error:\n        print('blocked:', error)"
        ),
        "x_forkbomb": attack(
            "import os, time\nchildren = 0\ntry:\n    for _ in range(10000):\n        if os.fork() == 0:\n"
            "            time.sleep(60)\n            os._exit(0)\n        children += 1\n"
            "    print('ATTACK SUCCEEDED', children)\nexcept OSError as error:\n"
            "    print('blocked after', children, 'processes:', error)"
        ),
        "x_memory": attack(
            "try:\n    hog = torch.ones(50 * 2**30 // 4)\n    print('ATTACK SUCCEEDED')\n"
            "except (RuntimeError, MemoryError) as error:\n    print('blocked:', type(error).__name__)"
        ),
        "x_forever": (swallow + tiny.RIGHT,),
        "lin": (LANGUAGE_ANSWER, chinese),  # right only where its checks see GPT2LN_LANG=zh
        "ming": (LANGUAGE_ANSWER,),  # the same, in an English notebook
    }
    submissions = tiny.write_submissions(root / "submissions", release, variants)
    (submissions / "ivan").mkdir()  # a student folder with no notebook
    command = [PYTHON, "-m", "autograder", "grade", "tiny", str(submissions), "--out", str(out)]
    command += ["--source", str(solutions), "--workers", "2", "--cell-timeout", "3"]
    english = {key: value for key, value in os.environ.items() if key != "GPT2LN_LANG"}
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, env=english)
    report = json.loads((out / "report.json").read_text())
    return {
        "root": root, "out": out, "course": course, "run": run, "solutions": solutions, "submissions": submissions,
        "students": {s["student"]: s for s in report["students"]}, "report": report,
    }  # fmt: skip


def answer_output(batch, student: str) -> str:
    nb = nbformat.read(batch["course"].autograded(student), as_version=4)
    return "".join(o.get("text", "") for o in tiny.cell(nb, "answer").outputs)


def test_every_submission_is_accounted_for_and_the_exit_code_says_some_failed(batch):
    expected = {p.name for p in batch["submissions"].iterdir()}
    assert set(batch["students"]) == expected
    failed = {s for s, r in batch["students"].items() if r["status"] == "failed"}
    assert failed == {"frank", "ivan"}
    assert batch["run"].returncode == 1


def test_right_and_wrong_answers_score_and_explain(batch):
    alice, bob = batch["students"]["alice"], batch["students"]["bob"]
    assert (alice["score"], alice["max_score"]) == (3.0, 3.0) and alice["integrity"] == []
    assert [t["message"] for t in alice["tests"]] == ["", ""]
    assert bob["score"] == 1.0
    assert bob["tests"][1] == {"grade_id": "test_hidden", "points": 0.0, "max_points": 2.0,
                               "message": "double must handle negatives"}  # fmt: skip


def test_duplicated_graded_cell_does_not_stop_the_batch(batch):
    carol = batch["students"]["carol"]
    assert carol["status"] == "graded" and carol["score"] == 3.0
    assert [f["kind"] for f in carol["integrity"]] == ["duplicated_cell"]


def test_deleted_test_cell_after_a_readonly_prompt_is_restored_and_flagged(batch):
    dave = batch["students"]["dave"]
    assert dave["score"] == 3.0 and [t["grade_id"] for t in dave["tests"]] == ["test_visible", "test_hidden"]
    assert {"kind": "deleted_test_cell", "cell": "test_visible"}.items() <= dave["integrity"][0].items()
    nb = nbformat.read(batch["course"].autograded("dave"), as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.index("test_visible") == ids.index("prompt_tests") + 1


def test_edited_test_cell_is_graded_as_released_and_flagged(batch):
    erin = batch["students"]["erin"]
    assert erin["score"] == 1.0  # the hidden test ran despite `pass`
    assert [f["kind"] for f in erin["integrity"]] == ["edited_test_cell"]


def test_corrupt_and_missing_notebooks_fail_with_a_reason_and_no_zero_in_the_csv(batch):
    assert "could not be read" in batch["students"]["frank"]["error"]
    assert "no tiny.ipynb" in batch["students"]["ivan"]["error"]
    rows = {r.split(",")[3]: r.split(",") for r in (batch["out"] / "grades.csv").read_text().splitlines()[1:]}
    header = (batch["out"] / "grades.csv").read_text().splitlines()[0].split(",")
    frank = dict(zip(header, rows["frank"], strict=False))
    assert frank["status"] == "failed" and frank["score"] == "" and frank["raw_score"] == ""
    assert dict(zip(header, rows["alice"], strict=False))["score"] == "3.0"


def test_integrity_flags_monkeypatching_and_the_course_checks(batch):
    assert "monkeypatch" in [f["kind"] for f in batch["students"]["gina"]["integrity"]]
    assert "reference_import" in [f["kind"] for f in batch["students"]["hank"]["integrity"]]
    jill = batch["students"]["jill"]["integrity"]
    assert [f["detail"] for f in jill] == ["torch.equal was replaced or deleted"]  # seen at run time
    assert "gina" in (batch["out"] / "grades.csv").read_text().split("monkeypatch")[0]


@pytest.mark.parametrize("student", ["x_socket", "x_gradebook", "x_peek", "x_forkbomb", "x_memory"])
def test_sandbox_attacks_fail_harmlessly(batch, student):
    result = batch["students"][student]
    output = answer_output(batch, student)
    assert "blocked" in output and "ATTACK SUCCEEDED" not in output, output
    assert result["status"] == "graded"
    if student != "x_forkbomb":  # its own kernel, at its process limit, cannot start torch's threads: its loss
        assert result["score"] == 3.0  # the answer after the attack is still graded


def test_a_loop_that_swallows_keyboardinterrupt_is_stopped_and_the_rest_graded(batch):
    result = batch["students"]["x_forever"]
    assert result["status"] == "graded" and result["score"] == 0.0
    assert all(t["message"].startswith("NotRun: not run: the kernel was stopped") for t in result["tests"])


def test_feedback_hides_hidden_tests_and_explains_failures(batch):
    run = subprocess.run([PYTHON, "-m", "autograder", "feedback", "tiny", "--out", str(batch["out"])],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    bob = (batch["out"] / "feedback" / "bob" / "tiny" / "tiny.html").read_text()
    assert "double must handle negatives" in bob  # the message, for the student
    assert "-3.0" not in bob and "HIDDEN TESTS" not in bob  # not the hidden test's code
    frank = (batch["out"] / "feedback" / "frank" / "tiny" / "tiny.html").read_text()
    assert "could not be graded" in frank


def test_a_chinese_notebook_runs_with_gpt2ln_lang_zh_and_an_english_one_without(batch):
    assert answer_output(batch, "lin") == "GPT2LN_LANG: zh\n"
    assert batch["students"]["lin"]["score"] == 3.0  # its test cells saw it too
    assert answer_output(batch, "ming") == "GPT2LN_LANG: None\n"
    assert batch["students"]["ming"]["score"] == 0.0


def test_sequential_regrade_gives_identical_entries(batch, tmp_path):
    """--workers 1 into a fresh folder, twice (second time --force): the same report entries as the batch."""
    picked = tmp_path / "subs"
    for student in ("alice", "bob", "erin"):
        (picked / student).mkdir(parents=True)
        (picked / student / "tiny.ipynb").write_bytes((batch["submissions"] / student / "tiny.ipynb").read_bytes())
    out = tmp_path / "out"
    command = [PYTHON, "-m", "autograder", "grade", "tiny", str(picked), "--out", str(out)]
    command += ["--source", str(batch["solutions"]), "--workers", "1"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    first = (out / "report.json").read_text()
    subprocess.run(command + ["--force"], check=True, capture_output=True, timeout=300)
    assert (out / "report.json").read_text() == first
    again = {s["student"]: s for s in json.loads(first)["students"]}
    assert again == {s: batch["students"][s] for s in again}
