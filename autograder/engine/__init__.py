"""Grading a class with nbgrader as the engine: intake, sandboxed execution, workers, reports."""
