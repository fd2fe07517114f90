"""The six graded assignments, through real nbgrader: solutions earn full marks, the release
notebooks score zero, every wrong submission of the library loses points with feedback that
names its problem, and every right one (written differently) earns full marks.

One temporary course for the whole module; each assignment is released and autograded
once, for all of its submissions together (nbgrader's start-up is paid once per assignment).
"""

import pytest
from nbgrader_helpers import Course, Submission
from submissions import LIBRARY

from gpt2ln.grading.mistakes import FORMULA

ASSIGNMENTS = list(LIBRARY)
SOLUTION, RELEASE = "solution", "release-unmodified"


def student_id(kind: str, name: str) -> str:
    return f"{kind}-{name}".replace("_", "-")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return Course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(course):
    """assignment -> the course, autograded lazily, once per assignment."""
    done = set()

    def grade(assignment: str) -> Course:
        if assignment not in done:
            library = LIBRARY[assignment]
            course.release(assignment)
            course.submit(assignment, SOLUTION, Submission())
            course.submit(assignment, RELEASE, None)
            for name, submission in library.WRONG.items():
                course.submit(assignment, student_id("wrong", name), submission)
            for name, submission in library.RIGHT.items():
                course.submit(assignment, student_id("right", name), submission)
            course.autograde(assignment)
            done.add(assignment)
        return course

    return grade


def autograded(scores: dict) -> tuple[float, float]:
    """(score, max) over the test cells; written answers wait for a human."""
    tests = [v for k, v in scores.items() if k.startswith("test_")]
    return sum(s for s, _ in tests), sum(m for _, m in tests)


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_earns_full_marks(graded, assignment):
    course = graded(assignment)
    score, maximum = autograded(course.scores(assignment, SOLUTION))
    assert maximum > 0
    assert score == maximum, course.feedback(assignment, SOLUTION)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_scores_zero_and_says_why(graded, assignment):
    course = graded(assignment)
    scores = course.scores(assignment, RELEASE)
    assert autograded(scores)[0] == 0
    feedback = course.feedback(assignment, RELEASE)
    assert set(feedback) == {k for k in scores if k.startswith("test_")}, "every test cell failed with a message"
    assert all("not answered yet" in message for message in feedback.values()), feedback


WRONG = [(a, name) for a in ASSIGNMENTS for name in LIBRARY[a].WRONG]
RIGHT = [(a, name) for a in ASSIGNMENTS for name in LIBRARY[a].RIGHT]


@pytest.mark.parametrize(("assignment", "name"), WRONG, ids=[f"{a}-{n}" for a, n in WRONG])
def test_wrong_submission_loses_points_and_feedback_names_the_problem(graded, assignment, name):
    course = graded(assignment)
    student = student_id("wrong", name)
    score, maximum = autograded(course.scores(assignment, student))
    feedback = course.feedback(assignment, student)
    assert score < maximum
    expected = LIBRARY[assignment].WRONG[name].expect
    assert any(expected in message for message in feedback.values()), f"expected {expected!r} in {feedback}"
    assert all("See " in message or "not answered" in message for message in feedback.values()), feedback


@pytest.mark.parametrize(("assignment", "name"), RIGHT, ids=[f"{a}-{n}" for a, n in RIGHT])
def test_right_submission_written_differently_earns_full_marks(graded, assignment, name):
    course = graded(assignment)
    student = student_id("right", name)
    score, maximum = autograded(course.scores(assignment, student))
    assert score == maximum, course.feedback(assignment, student)


def test_block_feedback_recommends_the_formula_of_its_own_block(graded):
    """Through nbgrader: no PostLNBlock test cell recommends Pre-LN's formula, and no PreLNBlock cell Post-LN's,
    unless its message names the mix-up as Misconception 2."""
    course = graded("03_blocks")
    for name in LIBRARY["03_blocks"].WRONG:
        for grade_id, message in course.feedback("03_blocks", student_id("wrong", name)).items():
            other = FORMULA["pre" if "post_ln" in grade_id else "post"]
            assert other not in message or "Misconception 2" in message, (name, grade_id, message)
