"""Integrity checks on what a student wrote: static analysis of the cells they could edit.

Flags (each ``{"kind", "cell", "detail"}`` in report.json and the CSV):
``monkeypatch`` (assigning to, deleting or ``setattr`` on the profile's protected libraries (torch,
numpy), the course package or its checks,
replacing ``sys.modules`` entries, hooking IPython or the tracer), ``reference_import``
(importing the reference implementation of this assignment's answers from the course package,
or the checks themselves), ``fixture_read`` (opening the course package's files, e.g. test
fixtures). What counts comes from the course profile (:mod:`autograder.profile`).
The cell-level flags (edited, deleted, duplicated test cells) come from :mod:`.intake`.
A flag is a reason to look, not a verdict: the scores are left as nbgrader computed them.
"""

import ast

from ..profile import current

HOOKS = {"settrace", "setprofile", "addaudithook", "register", "input_transformers_post", "input_transformers_cleanup"}


def _module_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> the module (or module attribute) it is bound to, for the protected packages."""
    protected = current().protected_roots
    aliases = {name: name for name in protected}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in protected:
                    aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in protected:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def check_cell(source: str, assignment: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(kind, detail) for each suspicious construct in one student cell."""
    try:
        tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError):  # ValueError: null bytes in the source
        return []
    profile = current()
    package, checks = profile.package, profile.checks
    asked = profile.assignment(assignment)
    answers, answer_modules = asked.reference_names, set(asked.modules)
    flags = []

    def patched(target: ast.AST) -> None:
        root = _root_name(target)
        if isinstance(target, (ast.Attribute, ast.Subscript)) and root in aliases:
            flags.append(("monkeypatch", f"modifies {_dotted(target) or root} (from {aliases[root]})"))
        if isinstance(target, ast.Subscript) and _dotted(target.value) in ("sys.modules", "builtins.__dict__"):
            flags.append(("monkeypatch", f"replaces an entry of {_dotted(target.value)}"))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            for target in node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]:
                patched(target)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in ("setattr", "delattr", "object.__setattr__") and node.args:
                root = _root_name(node.args[0])
                if root in aliases:
                    flags.append(("monkeypatch", f"{name} on {_dotted(node.args[0]) or root}"))
            if name.split(".")[-1] in HOOKS and (name.startswith(("sys.", "get_ipython")) or "events" in name):
                flags.append(("monkeypatch", f"installs a hook: {name}"))
            if name in ("open", "io.open", "pathlib.Path", "Path", "torch.load", "np.load", "numpy.load"):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and package in arg.value:
                        flags.append(("fixture_read", f"{name}({arg.value!r})"))
            if name in ("importlib.import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith(package):
                    flags.append(("reference_import", f"{name}({arg.value!r})"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package):
            taken = {alias.name for alias in node.names} & answers
            if taken or node.module in answer_modules or node.module.startswith(checks):
                names = ", ".join(sorted(taken)) or ", ".join(a.name for a in node.names)
                flags.append(("reference_import", f"from {node.module} import {names}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in answer_modules or alias.name.startswith(checks):
                    flags.append(("reference_import", f"import {alias.name}"))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            dotted = _dotted(node)
            root = dotted.split(".")[0]
            if root in aliases and aliases[root].split(".")[0] == package and node.attr in answers:
                flags.append(("reference_import", f"uses {dotted}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(marker in node.value for marker in profile.fixture_markers):
                flags.append(("fixture_read", f"refers to {node.value!r}"))
    return sorted(set(flags))


def _strip_magics(source: str) -> str:
    """IPython magics and shell escapes are not Python; blank them out (keeping line numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def notebook_aliases(sources: list[str]) -> dict[str, str]:
    """The module aliases bound anywhere in the notebook (imports in read-only cells count too)."""
    aliases = {name: name for name in current().protected_roots}
    for source in sources:
        try:
            aliases.update(_module_aliases(ast.parse(_strip_magics(source))))
        except (SyntaxError, ValueError):  # ValueError: null bytes in the source
            continue
    return aliases
