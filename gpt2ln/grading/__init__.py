"""Grading of the course's notebooks: checks, the library of known mistakes, and the release transform.

- ``gpt2ln.grading.checks``: the functions the notebooks' test cells call.
- ``gpt2ln.grading.mistakes``: known-wrong variants (``MISTAKES``) and what they teach.
- ``gpt2ln.grading.harness``: the test ``Case``, ``small_config``, and ``build`` / ``call`` / ``forward``, which
  run student code so that its errors become feedback.
- ``gpt2ln.grading.compare``: copy the same weights into two modules, compare outputs and gradients.
- ``gpt2ln.grading.report``: the per-kernel registry behind ``checks.summary()``.
- ``gpt2ln.grading.i18n``: every message in English or Chinese (``GPT2LN_LANG=zh``), the Chinese in
  ``gpt2ln.grading.messages_zh``.
- ``gpt2ln.grading.release``: what a source notebook gets before release (the setup cell, the book's
  addresses); ``python -m autograder release`` regenerates ``notebooks/`` from ``solutions/``.
"""
