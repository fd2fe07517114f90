"""The grader's last cell: what the student's code changed at run time, seen from inside the kernel.

Static analysis (:mod:`.integrity`) misses ``exec``, ``getattr(__import__(...), ...)`` and the
like. After the notebook ran, this cell (appended by the executor, removed before anything
is saved) compares the functions of the profile's watched modules (torch, numpy) and of the
course package with the ones the fork server recorded before the kernel existed, looks where
the answers' classes and functions come from (the course profile, :mod:`autograder.profile`),
and whether the writable space filled up (``disk_full``: ``/tmp``, which holds the working
folder, is nearly full, or a file reached the file-size limit, RLIMIT_FSIZE).
It prints one marked JSON line the executor reads back. Student code runs in the same
process and could fake this: like every flag, it is a reason to look.
"""

import json

from nbformat.notebooknode import NotebookNode

from ..profile import current

MARK = "__AUTOGRADER_PROBE__"

PROBE = '''
def _autograder_probe(answers, package):
    import json, sys
    found = []
    baseline = sys.modules.get("_autograder_baseline")
    if baseline is None:
        found.append(["monkeypatch", "the grader's record of the watched functions was removed"])
    else:
        for owner, holder in baseline.owners.items():
            if not isinstance(holder, type) and sys.modules.get(owner) is not holder:
                found.append(["monkeypatch", f"sys.modules[{owner!r}] was replaced"])
        for (owner, name), value in baseline.watched.items():
            if vars(baseline.owners[owner]).get(name) is not value:
                found.append(["monkeypatch", f"{owner}.{name} was replaced or deleted"])
    namespace = get_ipython().user_ns
    for name in answers:
        module = getattr(namespace.get(name), "__module__", None) or ""
        if module == package or module.startswith(package + "."):
            found.append(["reference_import", f"{name} is {module}.{name}, the reference implementation"])
    import os, resource
    disk = os.statvfs("/tmp")
    if disk.f_blocks and (disk.f_blocks - disk.f_bavail) * disk.f_frsize > 0.98 * disk.f_blocks * disk.f_frsize - 2**20:
        size = disk.f_blocks * disk.f_frsize / 2**20
        found.append(["disk_full", f"the writable space (/tmp and the working folder, {size:.0f} MB) is full"])
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    paths = (os.path.join(folder, name) for folder, _, names in os.walk("/tmp") for name in names)
    for seen, path in enumerate(paths):
        if seen >= 20000 or limit == resource.RLIM_INFINITY:
            break
        try:
            if os.lstat(path).st_size >= limit:
                found.append(["disk_full", f"{path} reached the file-size limit ({limit / 2**20:.0f} MB)"])
                break
        except OSError:
            pass
    out = getattr(sys.stdout, "write_uncapped", sys.stdout.write)  # past the kernel's output cap
    out("MARK" + json.dumps(found[:20]) + "\\n")
_autograder_probe(ANSWERS, PACKAGE)
del _autograder_probe
'''


def probe_cell(assignment: str) -> NotebookNode:
    profile = current()
    answers = json.dumps(sorted(profile.assignment(assignment).reference_names))
    source = PROBE.replace("MARK", MARK).replace("ANSWERS", answers).replace("PACKAGE", json.dumps(profile.package))
    return NotebookNode(cell_type="code", source=source.strip(), metadata={}, outputs=[], execution_count=None)


def read_probe(cell: NotebookNode) -> list[dict]:
    """The flags the probe printed ([] if it did not run, e.g. the kernel had been stopped)."""
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        if output.get("output_type") == "stream" and MARK in text:
            payload = text.split(MARK, 1)[1].splitlines()[0]
            try:
                return [{"kind": kind, "cell": None, "detail": detail} for kind, detail in json.loads(payload)]
            except (ValueError, TypeError):
                return [{"kind": "monkeypatch", "cell": None, "detail": "the grader's probe printed garbage"}]
    return []
