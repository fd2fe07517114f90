"""The grading folder: an nbgrader course directory per assignment, and where submissions come from.

``grade ASSIGNMENT SUBMISSIONS --out OUT`` makes OUT a complete nbgrader course directory
(``source/``, ``release/``, ``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``,
``nbgrader_config.py``), so nbgrader's own commands keep working in it, plus ``report.json``,
``grades.csv`` and the autograder's bookkeeping in ``.autograder/``.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parents[2]
COURSE_SETTINGS = REPO_ROOT / "autograder" / "nbgrader_config.py"

CONFIG_TEMPLATE = '''"""nbgrader settings for this grading folder (written by `python -m autograder grade`)."""
c = get_config()  # noqa: F821
load_subconfig({settings!r})  # noqa: F821
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
'''


@dataclass(frozen=True)
class Course:
    root: Path
    assignment: str

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        """nbgrader's: gradebook.db here, unless this folder's nbgrader_config.py names a database (gradebook.py)."""
        return self.coursedir().db_url

    @property
    def state(self) -> Path:
        """The autograder's own bookkeeping: results per student, the journal, the run folders."""
        return self.root / ".autograder" / self.assignment

    def submitted(self, student: str) -> Path:
        return self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"

    def autograded(self, student: str) -> Path:
        return self.root / "autograded" / student / self.assignment / f"{self.assignment}.ipynb"

    def release_notebook(self) -> Path:
        return self.root / "release" / self.assignment / f"{self.assignment}.ipynb"

    def source_notebook(self) -> Path:
        return self.root / "source" / self.assignment / f"{self.assignment}.ipynb"

    def config(self) -> Config:
        return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()

    def coursedir(self, student: str = "*") -> CourseDirectory:
        coursedir = CourseDirectory(config=self.config())
        coursedir.root = str(self.root)
        coursedir.assignment_id = self.assignment
        coursedir.student_id = student
        return coursedir


def prepare(course: Course, source_dir: Path) -> None:
    """Create the course folder and put the assignment in its gradebook (once: resumable)."""
    course.root.mkdir(parents=True, exist_ok=True)
    config_file = course.root / "nbgrader_config.py"
    if not config_file.exists():
        config_file.write_text(CONFIG_TEMPLATE.format(settings=str(COURSE_SETTINGS)))
    course.state.mkdir(parents=True, exist_ok=True)
    source = source_dir / course.assignment
    if not (source / f"{course.assignment}.ipynb").exists():
        raise FileNotFoundError(f"no source notebook {source / course.assignment}.ipynb")
    from .gradebook import has_assignment

    if course.release_notebook().exists() and has_assignment(course.db_url, course.assignment):
        if (source / f"{course.assignment}.ipynb").read_bytes() == course.source_notebook().read_bytes():
            return
        print(f"{source} changed since this folder was prepared: regenerating (use --force to regrade everyone)")
    shutil.copytree(source, course.root / "source" / course.assignment, dirs_exist_ok=True)
    from nbgrader.converters import GenerateAssignment

    os.environ["PATH"] = f"{Path(os.sys.executable).parent}:{os.environ.get('PATH', '')}"  # nbgrader runs alembic
    converter = GenerateAssignment(coursedir=course.coursedir("."), config=course.config())
    converter.force = True
    converter.start()


def find_submissions(submissions: Path, assignment: str) -> dict[str, Path | None]:
    """student -> their notebook (None when the folder holds none), from either layout:
    ``SUBMISSIONS/<student>/<assignment>.ipynb`` or nbgrader's ``<student>/<assignment>/<assignment>.ipynb``
    (also under ``SUBMISSIONS/submitted/``)."""
    if (submissions / "submitted").is_dir():
        submissions = submissions / "submitted"
    found: dict[str, Path | None] = {}
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for candidate in (folder / f"{assignment}.ipynb", folder / assignment / f"{assignment}.ipynb"):
            if candidate.is_file():
                found[folder.name] = candidate
                break
        else:
            found[folder.name] = None
    return found


def stage(course: Course, student: str, notebook: Path) -> None:
    """Copy a submission into ``submitted/`` (with nbgrader's timestamp file if the student had one)."""
    destination = course.submitted(student)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, destination)
    timestamp = notebook.parent / "timestamp.txt"
    if timestamp.exists():
        shutil.copyfile(timestamp, destination.parent / "timestamp.txt")
