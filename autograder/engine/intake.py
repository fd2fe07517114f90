"""The first step of grading a submission: repair what nbgrader cannot cope with, and record it.

nbgrader 0.9.6 compares a submission with its gradebook only loosely. This preprocessor runs
before nbgrader's own sanitizing ones, with the release notebook (what the student received)
as the reference, and:

* duplicated graded cells (a copy-pasted test or answer cell): nbgrader keeps the last copy
  and blanks the others' metadata, which then fails its own schema check and stops the whole
  batch ("old metadata format"). Here the earlier copies become plain cells (they still run)
  and the duplicate is flagged;
* deleted cells (a test cell, a read-only prompt, an answer cell): restored from the release
  notebook after the nearest surviving cell that precedes them there (nbgrader's
  ``add_missing_cells`` crashes when that neighbour is a read-only prompt); flagged;
* edited read-only cells and tampered nbgrader metadata: flagged (nbgrader only logs them);
  nbgrader's ``OverwriteCells`` then restores the instructor's source, hidden tests included;
* integrity: static checks of every cell the student could edit (:mod:`.integrity`).

The flags go to ``resources["autograder"]["integrity"]``.
"""

import copy
import re

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import integrity

GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")  # nbgrader's metadata schema (v3)


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _malformed(meta) -> bool:
    """nbgrader metadata its own checks would stop the whole run on (not a dict, a bad grade_id...)."""
    if not isinstance(meta, dict):
        return True
    flags = ("grade", "solution", "locked", "task")
    if any(not isinstance(meta.get(key, False), bool) for key in flags):
        return True
    grade_id = meta.get("grade_id")
    if any(meta.get(key) for key in flags) and not (isinstance(grade_id, str) and GRADE_ID.match(grade_id)):
        return True
    points = meta.get("points", 0)
    return meta.get("grade", False) and (isinstance(points, bool) or not isinstance(points, (int, float)))


def _grade_id(cell: NotebookNode) -> str | None:
    meta = _meta(cell)
    if meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task"):
        return meta.get("grade_id")
    return None


def _is_test(meta: dict) -> bool:
    return bool(meta.get("grade")) and not meta.get("solution")


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


class RepairSubmission(NbGraderPreprocessor):
    release_notebook = Unicode("", help="the release notebook the student received").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        reference = nbformat.read(self.release_notebook, as_version=4)
        ref_cells = {gid: cell for cell in reference.cells if (gid := _grade_id(cell))}
        ref_order = [gid for cell in reference.cells if (gid := _grade_id(cell))]
        flags: list[dict] = []

        def flag(kind: str, cell: str | None, detail: str) -> None:
            flags.append({"kind": kind, "cell": cell, "detail": detail})

        self._drop_malformed(nb, flag)
        self._deduplicate(nb, flag)
        self._restore_metadata(nb, ref_cells, flag)
        self._restore_missing(nb, reference, ref_order, flag)
        for cell in nb.cells:
            gid = _grade_id(cell)
            if gid in ref_cells and _meta(ref_cells[gid]).get("locked"):
                if _normalised(cell.source) != _normalised(ref_cells[gid].source):
                    kind = "edited_test_cell" if _is_test(_meta(ref_cells[gid])) else "edited_readonly_cell"
                    flag(kind, gid, "the source differs from the released notebook; the original was graded")
        self._static_checks(nb, ref_cells, resources, flag)
        resources.setdefault("autograder", {})["integrity"] = flags
        return nb, resources

    def _drop_malformed(self, nb: NotebookNode, flag) -> None:
        """Metadata nbgrader cannot read goes (the cell is then restored like a deleted one)."""
        for index, cell in enumerate(nb.cells):
            if not isinstance(cell.get("metadata"), dict):
                cell.metadata = NotebookNode()
            if "nbgrader" in cell.metadata and _malformed(cell.metadata["nbgrader"]):
                del cell.metadata["nbgrader"]
                flag("edited_cell_metadata", f"cell {index + 1}", "unreadable nbgrader metadata; removed")

    def _deduplicate(self, nb: NotebookNode, flag) -> None:
        seen: set[str] = set()
        for cell in reversed(nb.cells):  # like nbgrader, the last copy keeps its identity
            gid = _grade_id(cell)
            if gid is None:
                continue
            if gid in seen:
                del cell.metadata["nbgrader"]
                flag("duplicated_cell", gid, "a copy of this graded cell was made; only the last copy is graded")
            seen.add(gid)

    def _restore_metadata(self, nb: NotebookNode, ref_cells: dict, flag) -> None:
        """A cell that kept its grade_id but lost or changed its nbgrader flags gets them back."""
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or meta.get("grade_id") not in ref_cells:
                continue
            gid = meta["grade_id"]
            reference = _meta(ref_cells[gid])
            keys = ("grade", "solution", "locked", "task", "points")
            if any(meta.get(k) != reference.get(k) for k in keys) or cell.cell_type != ref_cells[gid].cell_type:
                flag("edited_cell_metadata", gid, "the cell's nbgrader metadata was changed; restored")
                cell.metadata["nbgrader"] = copy.deepcopy(reference)
                if cell.cell_type != ref_cells[gid].cell_type:
                    cell.cell_type = ref_cells[gid].cell_type
                    cell.pop("outputs", None), cell.pop("execution_count", None)
                    if cell.cell_type == "code":
                        cell.outputs, cell.execution_count = [], None

    def _restore_missing(self, nb: NotebookNode, reference: NotebookNode, ref_order: list[str], flag) -> None:
        present = {_grade_id(cell) for cell in nb.cells}
        for position, gid in enumerate(ref_order):
            if gid in present:
                continue
            ref_cell = next(cell for cell in reference.cells if _grade_id(cell) == gid)
            earlier = [g for g in ref_order[:position] if g in present]
            index = 0
            if earlier:
                index = 1 + max(i for i, cell in enumerate(nb.cells) if _grade_id(cell) == earlier[-1])
            nb.cells.insert(index, copy.deepcopy(ref_cell))
            present.add(gid)
            meta = _meta(ref_cell)
            kind = "deleted_test_cell" if _is_test(meta) else "deleted_cell"
            flag(kind, gid, "the cell was missing from the submission; restored from the released notebook")

    def _static_checks(self, nb: NotebookNode, ref_cells: dict, resources: dict, flag) -> None:
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        aliases = integrity.notebook_aliases([cell.source for cell in code])
        for index, cell in enumerate(code):
            gid = _grade_id(cell)
            if gid in ref_cells and _meta(ref_cells[gid]).get("locked"):
                continue  # instructor's code, restored by nbgrader
            for kind, detail in integrity.check_cell(cell.source, assignment, aliases):
                flag(kind, gid or f"code cell {index + 1}", detail)
