"""The autograder on the real 03_blocks assignment, with submissions from the course's library."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import bwrap
from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
    pytest.mark.skipif(not (REPO / "solutions" / "03_blocks").is_dir(), reason="03_blocks is not written yet"),
]


def notebook_for(release: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
    return nb


def test_blocks_right_wrong_and_reference_import(tmp_path):
    sys.path.insert(0, str(REPO / "tests"))
    from nbgrader_helpers import solution_answers
    from submissions import a03_blocks

    def patched(name: str, library: dict) -> dict[str, str]:
        answers = solution_answers("03_blocks")
        for grade_id, edits in library[name].patches.items():
            for old, new in edits:
                answers[grade_id] = answers[grade_id].replace(old, new)
        return answers

    reference = dict(solution_answers("03_blocks"))
    reference["pre_ln_block"] = "from gpt2ln import PreLNBlock"
    students = {
        "right": patched("explicit_residual_names", a03_blocks.RIGHT),
        "wrong_1": patched("misconception_1_residual_after_ln", a03_blocks.WRONG),
        "wrong_detached": patched("detached_shortcut", a03_blocks.WRONG),
        "copied": reference,
    }
    release = REPO / "notebooks" / "03_blocks" / "03_blocks.ipynb"
    for student, answers in students.items():
        (tmp_path / "subs" / student).mkdir(parents=True)
        nbformat.write(notebook_for(release, answers), tmp_path / "subs" / student / "03_blocks.ipynb")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", "03_blocks", str(tmp_path / "subs"), "--out", str(out)]
    run = subprocess.run(command + ["--workers", "2"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    report = {s["student"]: s for s in json.loads((out / "report.json").read_text())["students"]}
    right, wrong, detached = report["right"], report["wrong_1"], report["wrong_detached"]
    assert right["score"] == right["max_score"] > 0 and right["integrity"] == []
    assert wrong["score"] < wrong["max_score"]
    assert any("Misconception 1" in t["message"] for t in wrong["tests"])
    assert detached["score"] < detached["max_score"]
    assert any("detached" in t["message"] for t in detached["tests"])
    assert "reference_import" in [f["kind"] for f in report["copied"]["integrity"]]
