"""`labkit` for a notebook, installed with the course package: the labkit/ folder beside the notebook if there is one,
else the course package's own.

A student release ships labkit/ next to the notebook, and a kernel whose working folder is the notebook's usually
finds that copy first; where this module is found first instead (the course package on PYTHONPATH, as in an
nbgrader course's grading environment), it still hands out that local copy. An nbgrader course whose source/ holds
only the source notebook has none: there `from labkit import check` gets autograder.labkit with the course's
assignment active (its kit on labkit's path, autograder/plugin.py), the code the course's grader uses.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _beside_the_notebook() -> ModuleType | None:
    init = Path.cwd() / "labkit" / "__init__.py"
    spec = importlib.util.spec_from_file_location(__name__, init, submodule_search_locations=[str(init.parent)])
    if not init.is_file() or spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module
    spec.loader.exec_module(module)
    return module


def _the_course_package() -> ModuleType:
    from autograder import labkit
    from autograder.course import load_course
    from autograder.nbgrader_compat import compat_course_file
    from autograder.plugin import activate

    course = load_course(compat_course_file())  # $AUTOGRADER_COURSE names a course kept elsewhere
    if len(course.assignments) == 1:
        activate(course.assignment())
    return labkit


sys.modules[__name__] = _beside_the_notebook() or _the_course_package()
