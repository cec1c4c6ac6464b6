"""Reading a submission is linear in its size: blank lines before the code cost what their bytes cost.

    python bench/scan_linear.py

For n = 10^4, 10^5 and 10^6 blank lines before the code, times (best of 3, on this machine) loading
- a .py file (decoding, and finding the graded functions it defines);
- a notebook whose answer cell and whose helper cell each start with n blank lines (JSON, answer cells,
  and the definitions parsed out of the helper cell).
For comparison, the regular expression the scan used before (`^\\s*def\\s+NAME\\s*\\(` under MULTILINE, whose
`\\s*` spans newlines, so for a NAME the file does not define every line start rescans all the blank lines
after it) is timed up to 3 * 10^4 lines: it is quadratic, and it ran once per graded function.
Prints a table and writes it to bench/results/scan_linear.txt. Numbers, not assertions.
"""

import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clock import best_seconds  # noqa: E402

from autograder.course import load_course  # noqa: E402
from autograder.submission import load_file  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
OLD_SIZES = (3_000, 10_000, 30_000)
OLD_SCAN = re.compile(r"^\s*def\s+backward\s*\(", re.MULTILINE)  # a graded function the file does not define
CODE = "def initialize_he(layer_dims, rng=None):\n    return helper(layer_dims)\n"


def notebook(blank: str) -> str:
    """A helper cell and an answer cell, each starting with the blank lines."""
    def cell(source: str, answer: bool) -> dict:
        metadata = {"nbgrader": {"grade_id": "initialize_he", "solution": True}} if answer else {}
        return {"cell_type": "code", "metadata": metadata, "outputs": [], "source": source}

    cells = [cell(blank + "SCALE = 2.0\ndef helper(dims):\n    return dims\n", False), cell(blank + CODE, True)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def main() -> None:
    assignment = load_course().assignment("initialization")
    rows = [f"{'blank lines':>12}  {'load .py':>9}  {'load .ipynb':>11}"]
    with tempfile.TemporaryDirectory() as folder:
        for n in SIZES:
            python, ipynb = Path(folder, f"s{n}.py"), Path(folder, f"s{n}.ipynb")
            python.write_text("\n" * n + CODE)
            ipynb.write_text(notebook("\n" * n))
            assert load_file(python, assignment).error is None and load_file(ipynb, assignment).error is None
            py_seconds = best_seconds(lambda p=python: load_file(p, assignment))
            nb_seconds = best_seconds(lambda p=ipynb: load_file(p, assignment))
            rows.append(f"{n:>12,}  {py_seconds:>8.3f}s  {nb_seconds:>10.3f}s")
    rows += ["", "before: the old .py scan (a regex whose `\\s*` spans newlines)",
             f"{'blank lines':>12}  {'seconds':>9}"]
    for n in OLD_SIZES:
        source = "\n" * n + CODE
        rows.append(f"{n:>12,}  {best_seconds(lambda s=source: OLD_SCAN.search(s), 1):>8.3f}s")
    table = "\n".join(rows)
    print(table)
    out = ROOT / "bench" / "results" / "scan_linear.txt"
    out.write_text(table + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
