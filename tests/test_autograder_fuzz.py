"""Fifty odd submissions in one batch: each ends ``graded`` or ``failed`` with a reason, and the batch finishes.

The corpus is made here from the tiny assignment's release notebook: broken files (truncated
JSON, binary junk, an empty file, other formats), notebooks nbgrader cannot read as they are
(nbformat 3, no metadata, cells changed from code to Markdown, graded cells' metadata
removed or garbled), a notebook too big to read (saved base64 outputs), and folders with
several notebooks or none of the right name. Sizes are bounded (the biggest file is just
over the grader's size limit) so the batch takes a minute or two.
"""

import base64
import copy
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.engine.worker import MAX_NOTEBOOK_BYTES
from autograder.sandbox import bwrap
from tests.autograder_fixtures import tiny

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
]


def _edit(release: Path, edit, answer: str = tiny.RIGHT) -> nbformat.NotebookNode:
    return tiny.submission(release, answer, edit)


def _meta(nb, grade_id: str) -> dict:
    return tiny.cell(nb, grade_id).metadata["nbgrader"]


def _png_outputs(megabytes: float) -> dict:
    data = base64.b64encode(os.urandom(int(megabytes * 2**20 * 3 / 4))).decode()
    return nbformat.v4.new_output("display_data", data={"image/png": data})


def corpus(release: Path) -> dict:
    """student -> bytes to write as <student>/tiny.ipynb, a notebook, or a dict of files for the folder."""
    right = nbformat.writes(tiny.submission(release))

    def nb(edit=None, answer=tiny.RIGHT):
        return _edit(release, edit, answer)

    def set_meta(target, **changes):
        return lambda n: _meta(n, target).update(changes)

    def retype(cell, kind="markdown"):
        cell.cell_type = kind
        cell.pop("outputs", None), cell.pop("execution_count", None)

    def to_markdown(grade_id, kind="markdown"):
        return lambda n: retype(tiny.cell(n, grade_id), kind)

    def triple_answer(n):
        index = n.cells.index(tiny.cell(n, "answer"))
        n.cells[index:index] = [copy.deepcopy(n.cells[index]), copy.deepcopy(n.cells[index])]

    def drop_meta(grade_id):
        return lambda n: tiny.cell(n, grade_id).metadata.pop("nbgrader")

    def big_outputs(megabytes):
        return lambda n: tiny.cell(n, "answer").outputs.append(_png_outputs(megabytes))

    def nested(depth):
        return ("[" * depth + "]" * depth).encode()

    v3 = nbformat.writes(nbformat.convert(tiny.submission(release), 3), version=3)
    no_cell_ids = json.loads(right)
    for cell in no_cell_ids["cells"]:
        cell.pop("id", None)
    no_cell_ids["nbformat_minor"] = 4
    duplicate_ids = json.loads(right)
    for cell in duplicate_ids["cells"]:
        cell["id"] = "same"
    string_source = json.loads(right)
    for cell in string_source["cells"]:
        cell["source"] = "".join(cell["source"])  # nbformat writes lists of lines; one string is valid too
    return {
        # graded: odd but readable
        "a_right": right.encode(),
        "a_wrong": nb(answer=tiny.WRONG),
        "b_nbformat3": v3.encode(),
        "b_nbformat4_0_no_cell_ids": json.dumps(no_cell_ids).encode(),
        "b_no_notebook_metadata": nb(lambda n: n.metadata.clear()),
        "b_no_metadata_anywhere": nb(lambda n: [n.metadata.clear()] + [c.metadata.clear() for c in n.cells]),
        "b_answer_as_markdown": nb(to_markdown("answer")),
        "b_answer_as_raw": nb(to_markdown("answer", "raw")),
        "b_test_as_markdown": nb(to_markdown("test_visible")),
        "b_answer_metadata_removed": nb(drop_meta("answer")),
        "b_test_metadata_removed": nb(drop_meta("test_hidden")),
        "b_all_graded_metadata_removed": nb(lambda n: [c.metadata.pop("nbgrader", None) for c in n.cells]),
        "b_metadata_a_string": nb(lambda n: tiny.cell(n, "answer").metadata.update(nbgrader="garbage")),
        "b_metadata_bad_grade_id": nb(set_meta("answer", grade_id="answer; DROP TABLE")),
        "b_metadata_points_a_string": nb(set_meta("test_visible", points="many")),
        "b_metadata_locked_a_string": nb(set_meta("test_visible", locked="yes")),
        "b_metadata_points_changed": nb(set_meta("test_visible", points=100)),
        "b_no_cells": nb(lambda n: n.cells.clear()),
        "b_only_markdown": nb(lambda n: [retype(c) for c in n.cells]),
        "b_cells_reversed": nb(lambda n: n.cells.reverse()),
        "b_answer_tripled": nb(triple_answer),
        "b_string_sources": json.dumps(string_source).encode(),
        "b_syntax_error": nb(answer="def double(x)\n    return 2 * x"),
        "b_null_byte_in_source": nb(answer="def double(x):\n    return 2 * x  # \x00"),
        "b_unicode_everywhere": nb(answer="def double(x):\n    \"\"\"二倍 ✓ \u202eRTL\"\"\"\n    return 2 * x"),
        "b_200kb_of_comments": nb(answer=tiny.RIGHT + "\n" + "# padding\n" * 20_000),
        "b_5000_empty_cells": nb(lambda n: n.cells.extend(nbformat.v4.new_markdown_cell("") for _ in range(5000))),
        "b_kernelspec_r": nb(lambda n: n.metadata.update(kernelspec={"name": "ir", "display_name": "R"})),
        "b_junk_in_metadata": nb(lambda n: n.metadata.update(junk={"deep": [[{"x": list(range(1000))}]] * 50})),
        "b_outputs_4mb_saved": nb(big_outputs(4)),
        "b_edited_test": nb(lambda n: setattr(tiny.cell(n, "test_hidden"), "source", "pass")),
        "b_several_notebooks": {"tiny.ipynb": right.encode(), "tiny-Copy1.ipynb": b"{}", "notes.ipynb": b"junk"},
        "b_nbgrader_layout": {"tiny/tiny.ipynb": right.encode()},
        # failed, each with a reason
        "c_truncated_json": right.encode()[: len(right) // 2],
        "c_empty_file": b"",
        "c_binary_junk": os.urandom(4096),
        "c_gzipped": gzip.compress(right.encode()),
        "c_json_list": b"[]",
        "c_json_null": b"null",
        "c_json_number": b"42",
        "c_json_empty_object": b"{}",
        "c_trailing_garbage": right.encode() + b"\n}}}garbage",
        "c_latin1": right.replace("twice", "deux fois \u00e9").encode("latin-1", "replace"),
        "c_utf16": right.encode("utf-16"),
        "c_nested_100k": nested(100_000),
        "c_nbformat_5": json.dumps({**json.loads(right), "nbformat": 5}).encode(),
        "c_cells_a_dict": json.dumps({**json.loads(right), "cells": {"a": 1}}).encode(),
        "c_cell_without_source": json.dumps({**json.loads(right), "cells": [{"cell_type": "code"}]}).encode(),
        "c_nan_execution_count": right.replace('"execution_count": null', '"execution_count": NaN').encode(),
        "b_duplicate_cell_ids": json.dumps(duplicate_ids).encode(),
        "c_too_big": nb(big_outputs(MAX_NOTEBOOK_BYTES / 2**20 + 1)),
        "c_wrong_name_only": {"Tiny.ipynb": right.encode()},
        "c_checkpoints_only": {".ipynb_checkpoints/tiny-checkpoint.ipynb": right.encode()},
        "c_folder_named_like_the_notebook": {"tiny.ipynb/readme.txt": b"a folder, not a notebook"},
        "c_nothing": {},
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    course = tiny.prepared_course(root)
    made = corpus(course.release_notebook())
    submissions = root / "submissions"
    for student, content in made.items():
        is_folder = isinstance(content, dict) and not isinstance(content, nbformat.NotebookNode)
        files = content if is_folder else {"tiny.ipynb": content}
        (submissions / student).mkdir(parents=True)
        for name, data in files.items():
            path = submissions / student / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(nbformat.writes(data).encode() if isinstance(data, nbformat.NotebookNode) else data)
    command = [sys.executable, "-m", "autograder", "grade", "tiny", str(submissions), "--out", str(course.root)]
    command += ["--source", str(root / "solutions"), "--workers", "2", "--cell-timeout", "20"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    report = json.loads((course.root / "report.json").read_text())
    return {"made": made, "run": run, "students": {s["student"]: s for s in report["students"]}}


def test_the_corpus_has_fifty_submissions_and_the_batch_finishes(batch):
    assert len(batch["made"]) >= 50
    assert set(batch["students"]) == set(batch["made"])
    assert batch["run"].returncode == 1  # some failed, and the exit code says so
    graded = sum(s["status"] == "graded" for s in batch["students"].values())
    assert f"{graded} graded" in batch["run"].stdout, batch["run"].stdout[-2000:]  # the batch ran to its end
    # The batch itself never crashed: no traceback through the grader's own code. (nbgrader may log
    # the error of one submission it could not autograde; that submission is `failed` with its reason.)
    assert not re.search(r'File "[^"]*/autograder/', batch["run"].stderr), batch["run"].stderr[-3000:]


def test_readable_submissions_are_graded(batch):
    students = batch["students"]
    readable = [s for s in students if s.startswith(("a_", "b_"))]
    assert all(students[s]["status"] == "graded" for s in readable), {s: students[s]["error"] for s in readable}
    assert students["a_right"]["score"] == 3.0 and students["a_wrong"]["score"] == 1.0
    for student in ("b_nbformat3", "b_answer_as_markdown", "b_duplicate_cell_ids", "b_several_notebooks",
                    "b_nbgrader_layout", "b_outputs_4mb_saved", "b_metadata_a_string", "b_answer_metadata_removed"):
        assert students[student]["score"] == 3.0, (student, students[student])
    assert students["b_syntax_error"]["score"] == 0.0
    assert students["b_null_byte_in_source"]["score"] == 0.0  # Python refuses the cell, as it would in Jupyter


def test_repairs_are_flagged_for_the_teacher(batch):
    def kinds(student):
        return {f["kind"] for f in batch["students"][student]["integrity"]}

    assert "edited_cell_metadata" in kinds("b_answer_as_markdown")
    assert "deleted_test_cell" in kinds("b_test_metadata_removed")
    assert "edited_cell_metadata" in kinds("b_metadata_a_string")
    assert "edited_cell_metadata" in kinds("b_metadata_points_changed")
    assert "duplicated_cell" in kinds("b_answer_tripled")
    assert "edited_test_cell" in kinds("b_edited_test")
    assert {"deleted_cell", "deleted_test_cell"} <= kinds("b_no_cells")


def test_unreadable_submissions_fail_with_a_reason_a_teacher_can_act_on(batch):
    students = batch["students"]
    for student, result in students.items():
        if not student.startswith("c_"):
            continue
        assert result["status"] == "failed", (student, result)
        assert result["score"] is None and result["tests"] == []
        error = result["error"]
        assert error and len(error) < 600 and "Traceback" not in error, (student, error)
        assert error.startswith(("the notebook could not be read", "the notebook is", "no tiny.ipynb")), student
    too_big = students["c_too_big"]["error"]
    assert "over the 32 MB limit" in too_big and "Clear Outputs" in too_big
    assert "found Tiny.ipynb: rename it" in students["c_wrong_name_only"]["error"]
    assert students["c_nothing"]["error"] == "no tiny.ipynb in the submission folder"
    assert students["c_folder_named_like_the_notebook"]["error"] == "no tiny.ipynb in the submission folder"
