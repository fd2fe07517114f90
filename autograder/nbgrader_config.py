# nbgrader settings for the course; included by ../nbgrader_config.py and by each grading folder's
# nbgrader_config.py with traitlets' load_subconfig.
c = get_config()  # noqa: F821
# Source notebooks live in solutions/<assignment>/, release notebooks in notebooks/<assignment>/.
# CourseDirectory.root defaults to the current directory: run nbgrader from the repository root.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Feedback without the hidden tests' source (nbgrader issue #917); see autograder/engine/feedback.py.
from autograder.engine.feedback import FEEDBACK_PREPROCESSORS  # noqa: E402

c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS
c.ExportApp.plugin_class = "autograder.engine.export.StatusCsvExportPlugin"
