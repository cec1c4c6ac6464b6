"""The public checks as pytest tests, for learners checking their own notebook.

From the assignment folder (the one holding the assignment's notebook and labkit/):

    pytest labkit                                    # checks the assignment's notebook there
    NOTEBOOK=path/to/my_copy.ipynb pytest labkit     # checks another notebook (or a .py file)

Save the notebook first: the tests read the saved file, not the running kernel.
Each test is one public check, named by its id, on one line (labkit/conftest.py): PASS, FAIL with the same
feedback as `check(...)` in the notebook (and nothing else: no traceback), or TODO, reported as skipped, for an
exercise that still raises NotImplementedError.
"""

import os
from pathlib import Path
from typing import Any

import pytest

from .framework import Check
from .inprocess import run_checks
from .notebook import load_functions, release_notebook
from .plan import Status
from .public_checks import PUBLIC_CHECKS


@pytest.fixture(scope="module")
def student_namespace() -> dict[str, Any]:
    here = Path(__file__).resolve().parent
    path = Path(os.environ["NOTEBOOK"]) if "NOTEBOOK" in os.environ else release_notebook(here)
    if not path.exists():
        pytest.fail(f"no notebook at {path}: save it there, or set NOTEBOOK=path/to/your.ipynb", pytrace=False)
    try:
        return load_functions(path)
    except Exception as error:  # the learner's own code failed to load: say so, without a traceback into labkit
        pytest.fail(f"cannot run the code of {path.name}: {type(error).__name__}: {error}", pytrace=False)


@pytest.mark.parametrize("check", PUBLIC_CHECKS, ids=[c.id for c in PUBLIC_CHECKS])
def test_public_check(check: Check, student_namespace: dict[str, Any]) -> None:
    result = run_checks([check], student_namespace)[0]
    if result.status == Status.NOT_ATTEMPTED:
        pytest.skip(result.feedback)  # an exercise not done yet is not a failure of the learner's code
    if not result.passed:
        pytest.fail(result.feedback, pytrace=False)
