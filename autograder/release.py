"""``release``: regenerate the student notebooks in ``notebooks/`` from ``solutions/``.

nbgrader's ``generate_assignment`` (answers replaced by stubs, hidden tests removed), run from
the repository root with its ``nbgrader_config.py`` (source ``solutions/``, release
``notebooks/``). When the course package provides its own regenerate function
(``gpt2ln.grading.release``), that is used instead, so there is one way to do it.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from .engine.course import REPO_ROOT

ASSIGNMENTS = ["01_layernorm", "02_attention", "03_blocks", "04_gpt2", "05_gradient_flow", "06_warmup", "07_diagnose"]


def release(assignments: list[str] | None = None) -> None:
    assignments = assignments or [a for a in ASSIGNMENTS if (REPO_ROOT / "solutions" / a).is_dir()]
    try:
        course_release = importlib.import_module("gpt2ln.grading.release")
    except ImportError:
        course_release = None
    if course_release is not None and hasattr(course_release, "release"):
        course_release.release(assignments)
        return
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for assignment in assignments:
        command = ["nbgrader", "generate_assignment", assignment, "--force", "--CourseDirectory.root=."]
        subprocess.run(command, cwd=REPO_ROOT, env=env, check=True)
        print(f"released {assignment} -> notebooks/{assignment}/")
