"""Instructors' grading toolkit around nbgrader (see autograder/README.md)."""
