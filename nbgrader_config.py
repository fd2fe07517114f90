"""nbgrader reads this file from the repository root; the settings live in autograder/nbgrader_config.py."""

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821 (traitlets: relative to this file's folder)
