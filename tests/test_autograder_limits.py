"""One submission must not exhaust the grading host (issue 13): output floods, disk and tmpfs fills.

One batch (one worker, so the hogs run one after the other in the same sandbox) of the tiny
assignment; each hog then answers correctly, so a grader that contains it still gives 3/3.
While it runs, the host's processes (not the sandboxed ones), shared memory and disk are
sampled (tests/autograder_fixtures/hogs.py).
"""

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import bwrap
from tests.autograder_fixtures import hogs, tiny

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
]
GB, MB = 2**30, 2**20
LIMITS = bwrap.Limits()
# Other jobs share this machine: shared memory and disk may move by this much without us.
NOISE = 256 * MB


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    course = tiny.prepared_course(root)
    variants = {name: (code + hogs.ANSWER,) for name, code in hogs.HOGS.items()}
    variants["zz_after"] = (hogs.LOOK + hogs.ANSWER,)  # graded last, in the sandbox the hogs used
    submissions = tiny.write_submissions(root / "submissions", course.release_notebook(), variants)
    command = [sys.executable, "-m", "autograder", "grade", "tiny", str(submissions), "--out", str(course.root)]
    command += ["--source", str(root / "solutions"), "--workers", "1"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run, watch = hogs.grade_watched(command, disk=root, env=env)
    report = json.loads((course.root / "report.json").read_text())
    students = {s["student"]: s for s in report["students"]}
    print(f"\nbatch {watch.seconds:.0f} s; host processes' peak RSS (MB):",
          {name: peak >> 20 for name, peak in watch.host_peak_bytes.items()},
          f"; Shmem growth {watch.shmem_growth_bytes >> 20} MB; disk growth {watch.disk_growth_bytes >> 20} MB")
    return {"run": run, "watch": watch, "students": students, "course": course}


def outputs(batch, student: str, grade_id: str = "answer") -> list:
    nb = nbformat.read(batch["course"].autograded(student), as_version=4)
    return tiny.cell(nb, grade_id).outputs


def text(batch, student: str) -> str:
    return "".join(o.get("text", "") for o in outputs(batch, student))


def kinds(batch, student: str) -> list[str]:
    return [flag["kind"] for flag in batch["students"][student]["integrity"]]


def test_every_hog_is_graded_on_what_ran(batch):
    assert batch["run"].returncode == 0, batch["run"].stderr[-3000:]
    for student, result in batch["students"].items():
        assert result["status"] == "graded", (student, result["error"])
        assert result["score"] == 3.0, (student, result["tests"])


def test_a_gigabyte_of_output_leaves_the_graders_memory_alone_and_is_flagged(batch):
    watch = batch["watch"]
    assert watch.largest_host_process < 1 * GB, watch.host_peak_bytes
    for student in ("flood_print", "flood_fd", "flood_bypass"):
        assert "output_truncated" in kinds(batch, student), student
        kept = sum(len(o.get("text", "")) for o in outputs(batch, student))
        assert kept <= LIMITS.output_cell_bytes + 8192, (student, kept)
    assert "[output truncated by the grader:" in text(batch, "flood_print")  # the student sees why
    assert "dropped" in text(batch, "flood_fd")


def test_output_that_bypasses_the_kernels_cap_is_refused_by_the_grader(batch):
    flag = next(f for f in batch["students"]["flood_bypass"]["integrity"] if f["kind"] == "output_truncated")
    assert "grader" in flag["detail"] or "refused" in flag["detail"], flag


def test_a_disk_fill_is_refused_below_the_cap_and_the_host_does_not_pay_for_it(batch):
    said = text(batch, "fill_disk")
    refused = [int(line.split()[2]) for line in said.splitlines() if line.startswith("refused after")]
    assert refused and max(refused) * MB <= LIMITS.scratch_bytes, said  # of the 4 GB it tried
    assert "No space left on device" in said
    assert "disk_full" in kinds(batch, "fill_disk")
    watch = batch["watch"]
    assert watch.shmem_growth_bytes < LIMITS.scratch_bytes + NOISE, watch.shmem_growth_bytes
    assert watch.disk_growth_bytes < LIMITS.scratch_bytes + NOISE, watch.disk_growth_bytes


def test_a_file_stops_at_the_file_size_limit(batch):
    said = text(batch, "big_file")
    assert f"refused after {LIMITS.file_bytes // MB} MB" in said and "File too large" in said, said
    detail = next(f["detail"] for f in batch["students"]["big_file"]["integrity"] if f["kind"] == "disk_full")
    assert "file-size limit" in detail


def test_twenty_thousand_files_are_contained_and_cleaned_up(batch):
    assert "20000" in text(batch, "many_files")
    seen = text(batch, "zz_after")
    for leftover in ("fill", "big", "many"):
        assert leftover not in seen, seen
    assert batch["students"]["zz_after"]["integrity"] == []
