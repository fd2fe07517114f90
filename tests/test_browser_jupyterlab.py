"""The student's day and the instructor's day, in JupyterLab with nbgrader's extensions, in a real browser.

JupyterLab runs on localhost (nbgrader 0.9.6's server and lab extensions: Validate, formgrader);
headless Chromium (Debian's, driven by Playwright for Python) does what a person would do:

* **Student.** Open the release notebook of 03_blocks with a correct answer filled in, run all
  cells, click **Validate** and read the dialog: success. Then the same notebook with
  misconception 1 (the shortcut starts at ``ln_1(x)``): the test cell's output and the Validate
  dialog both name the misconception.
* **Instructor.** ``python -m autograder grade`` a class of 05_gradient_flow (it has written
  answers), open the formgrader on that grading folder, type a manual score for one written
  answer, then ``python -m autograder export``: grades.csv carries the manual score.

Screenshots go to ``artifacts/jupyterlab/``. The tests skip, saying why, only where Chromium
is missing (``.ci/run`` installs it).
"""

import csv
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbgrader_helpers import Submission, fill_answers, nbgrader_env
from submissions import a03_blocks

from gpt2ln.paths import REPO_ROOT

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = REPO_ROOT / "artifacts" / "jupyterlab"
if CHROMIUM is None:
    pytestmark = [pytestmark, pytest.mark.skip(reason="no Chromium on this machine (apt-get install chromium)")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def jupyterlab(root: Path):
    """JupyterLab serving ``root`` (its working directory too, so nbgrader reads ``root/nbgrader_config.py``),
    with a Jupyter configuration of its own: nbgrader's exchange in a folder that exists."""
    port, token = free_port(), secrets.token_hex(16)
    home = root.parent / f"{root.name}-jupyter"
    env = dict(nbgrader_env(), JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), OMP_NUM_THREADS="1")
    env.pop("GPT2LN_QUICK", None)
    (home / "exchange").mkdir(parents=True)  # nbgrader's assignment list needs an exchange that exists
    (home / "config").mkdir()
    (home / "config" / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa\nc.Exchange.root = {str(home / 'exchange')!r}\n")
    log = open(home.with_suffix(".log"), "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, home.with_suffix(".log").read_text()
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@contextmanager
def browser_page(name: str, token: str):
    """A page of headless Chromium logged in to the server (every request, the pages' own included, carries
    the token); what it showed when something failed goes to ``SHOTS/<name>_failed.png``."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000},
                                extra_http_headers={"Authorization": f"token {token}"})
        page.set_default_timeout(120_000)
        try:
            yield page
        except Exception:
            page.screenshot(path=SHOTS / f"{name}_failed.png")
            raise
        finally:
            browser.close()


NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the active tab


def open_notebook(page, url: str, token: str, name: str) -> None:
    """Open a notebook in a workspace of its own and wait until its cells are shown and its kernel is idle."""
    page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={token}")
    page.locator(f"{NOTEBOOK} .jp-CodeCell").first.wait_for()
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for()
    news = page.get_by_role("button", name="No", exact=True)  # "get notified about Jupyter news?"
    if news.count():
        news.first.click()


def run_all(page, until: str | None = None) -> None:
    """Run > Run All Cells, then wait until every code cell has run, or (JupyterLab stops at the first
    error) until the cell whose source contains ``until`` has run and nothing is left running."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function("""([notebook, until]) => {
        const cells = [...document.querySelectorAll(notebook + ' .jp-CodeCell')];
        const ran = cell => /\\[\\d+\\]/.test(cell.querySelector('.jp-InputPrompt').textContent);
        const busy = cells.some(cell => cell.querySelector('.jp-InputPrompt').textContent.includes('*'));
        const target = until ? cells.filter(cell => cell.textContent.includes(until)) : cells;
        return target.length > 0 && target.every(ran) && !busy;
    }""", arg=[NOTEBOOK, until], timeout=300_000)


def validate(page) -> str:
    """Click nbgrader's Validate button; the result dialog's text."""
    page.locator(f"{NOTEBOOK} .jp-ToolbarButtonComponent", has_text="Validate").first.click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=300_000)
    return dialog.inner_text()


def write_student_notebook(folder: Path, name: str, submission: Submission) -> None:
    nb = nbformat.read(REPO_ROOT / "notebooks" / "03_blocks" / "03_blocks.ipynb", as_version=4)
    fill_answers(nb, "03_blocks", submission)
    nbformat.write(nb, folder / name)


def test_student_runs_all_and_validates(tmp_path):
    home = tmp_path / "student"
    home.mkdir()
    write_student_notebook(home, "03_blocks.ipynb", Submission())
    write_student_notebook(home, "03_blocks_mistake.ipynb", a03_blocks.WRONG["misconception_1_residual_after_ln"])
    with jupyterlab(home) as (url, token), browser_page("student", token) as page:
        open_notebook(page, url, token, "03_blocks.ipynb")
        page.screenshot(path=SHOTS / "student_1_opened.png")
        run_all(page)
        assert page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has_text="Traceback").count() == 0
        text = validate(page)
        page.screenshot(path=SHOTS / "student_2_validate_success.png")
        assert "Success! Your notebook passes all the tests." in text, text
        page.locator(".jp-Dialog .jp-mod-accept").click()

        open_notebook(page, url, token, "03_blocks_mistake.ipynb")
        run_all(page, until="checks.pre_ln_block_forward(PreLNBlock)")  # the first test of the Pre-LN block
        test_cell = page.locator(f"{NOTEBOOK} .jp-Cell", has_text="checks.pre_ln_block_forward(PreLNBlock)")
        failed = test_cell.locator(".jp-OutputArea-output")
        failed.filter(has_text="Misconception 1").first.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "student_3_test_cell_names_misconception.png")
        assert failed.filter(has_text="Misconception 1").count() >= 1, failed.all_inner_texts()
        text = validate(page)
        page.screenshot(path=SHOTS / "student_4_validate_names_misconception.png")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        assert "Misconception 1" in text and "Success" not in text, text


def grade_class(tmp_path: Path) -> Path:
    """``python -m autograder grade`` on two students of 05_gradient_flow: the grading folder."""
    submissions = tmp_path / "submissions"
    release = REPO_ROOT / "notebooks" / "05_gradient_flow" / "05_gradient_flow.ipynb"
    for student in ("ada", "grace"):
        nb = nbformat.read(release, as_version=4)
        fill_answers(nb, "05_gradient_flow", Submission())
        (submissions / student).mkdir(parents=True)
        nbformat.write(nb, submissions / student / "05_gradient_flow.ipynb")
    out = tmp_path / "grading"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "05_gradient_flow", str(submissions),
                             "--out", str(out)], cwd=REPO_ROOT, env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def export(out: Path) -> dict[str, dict]:
    subprocess.run([sys.executable, "-m", "autograder", "export", "05_gradient_flow", "--out", str(out)],
                   cwd=REPO_ROOT, env=nbgrader_env(), check=True, capture_output=True)
    with open(out / "grades.csv") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_instructor_grades_a_written_answer_in_formgrader(tmp_path):
    from nbgrader.api import Gradebook

    out = grade_class(tmp_path)
    before = export(out)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook("05_gradient_flow", "05_gradient_flow", "ada")
        submission_id = notebook.id
        written = gb.find_grade("written_gradients", "05_gradient_flow", "05_gradient_flow", "ada")
        max_points = written.max_score
        assert written.manual_score is None
    with jupyterlab(out) as (url, token), browser_page("instructor", token) as page:
        page.goto(f"{url}/formgrader/gradebook/05_gradient_flow/05_gradient_flow")
        page.locator("text=Submission #1").first.wait_for()  # names are hidden until "Show All Names"
        page.screenshot(path=SHOTS / "instructor_1_formgrader_students.png")
        page.goto(f"{url}/formgrader/submissions/{submission_id}/")
        score = page.locator(".nbgrader_cell:has(#written_gradients) input.score")
        score.wait_for()
        score.scroll_into_view_if_needed()
        score.fill(str(max_points - 1))
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
            score.press("Tab")  # the formgrader saves the score when the field changes
        assert saved.value.ok, saved.value.status
        page.screenshot(path=SHOTS / "instructor_2_manual_score.png")
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        written = gb.find_grade("written_gradients", "05_gradient_flow", "05_gradient_flow", "ada")
        assert written.manual_score == max_points - 1
    after = export(out)
    assert float(after["ada"]["score"]) == float(before["ada"]["score"]) + max_points - 1
    assert after["grace"]["score"] == before["grace"]["score"]
    assert after["ada"]["status"] == "graded"
