# nbgrader settings for the course; executed by ../nbgrader_config.py with `c` defined.
# Source notebooks live in solutions/<assignment>/, release notebooks in notebooks/<assignment>/.
# CourseDirectory.root defaults to the current directory: run nbgrader from the repository root.
c.CourseDirectory.source_directory = "solutions"  # noqa: F821
c.CourseDirectory.release_directory = "notebooks"  # noqa: F821
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}  # noqa: F821
# Feedback without the hidden tests' source (nbgrader issue #917); see autograder/engine/feedback.py.
from autograder.engine.feedback import FEEDBACK_PREPROCESSORS  # noqa: E402

c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS  # noqa: F821
c.ExportApp.plugin_class = "autograder.engine.export.StatusCsvExportPlugin"  # noqa: F821
