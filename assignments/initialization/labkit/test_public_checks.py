"""The public checks as pytest tests, for learners checking their own notebook.

From the assignment folder (the one holding initialization.ipynb and labkit/):

    pytest labkit                                    # checks ./initialization.ipynb
    NOTEBOOK=path/to/my_copy.ipynb pytest labkit     # checks another notebook (or a .py file)

Save the notebook first: the tests read the saved file, not the running kernel.
Each test is one public check; a failure prints the same feedback as `check(...)` in the notebook.
"""

import os
from pathlib import Path
from typing import Any

import pytest

from .framework import Check
from .inprocess import format_result, run_checks
from .notebook import load_functions
from .public_checks import PUBLIC_CHECKS

DEFAULT_NOTEBOOK = Path(__file__).resolve().parent.parent / "initialization.ipynb"


@pytest.fixture(scope="module")
def student_namespace() -> dict[str, Any]:
    path = Path(os.environ.get("NOTEBOOK", DEFAULT_NOTEBOOK))
    if not path.exists():
        pytest.fail(f"no notebook at {path}: set NOTEBOOK=path/to/your.ipynb")
    return load_functions(path)


@pytest.mark.parametrize("check", PUBLIC_CHECKS, ids=[c.id for c in PUBLIC_CHECKS])
def test_public_check(check: Check, student_namespace: dict[str, Any]) -> None:
    result = run_checks([check], student_namespace)[0]
    assert result.passed, format_result(result)
