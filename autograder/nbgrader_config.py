# nbgrader settings for the course; executed by ../nbgrader_config.py with `c` defined.
# Source notebooks live in solutions/<assignment>/, release notebooks in notebooks/<assignment>/.
# CourseDirectory.root defaults to the current directory: run nbgrader from the repository root.
c.CourseDirectory.source_directory = "solutions"  # noqa: F821
c.CourseDirectory.release_directory = "notebooks"  # noqa: F821
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}  # noqa: F821
