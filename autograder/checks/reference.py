"""The reference solution on the trusted side: loaded once from course.toml's `reference` path.

The reference imports the provided code as `labkit` (its folder holds a `labkit` link, as the student's
notebook folder does), so that folder goes on sys.path before the module is executed. The same loader
executes mutated copies of the reference's text (the misconception catalogue).
"""

import sys
import types
from functools import cache
from pathlib import Path

from ..course import load_course


def _ensure_importable(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def reference_path(assignment: str = "initialization") -> Path:
    """Where course.toml says the assignment's reference solution is."""
    return load_course().assignment(assignment).reference


@cache
def reference_source(assignment: str = "initialization") -> str:
    """The reference's source text."""
    return reference_path(assignment).read_text()


def module_from_source(source: str, name: str, folder: Path) -> types.ModuleType:
    """Execute `source` as a fresh module called `name`, with `folder` importable (for `labkit`)."""
    _ensure_importable(folder)
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


@cache
def reference(assignment: str = "initialization") -> types.ModuleType:
    """The reference module (cached: it is executed once per process)."""
    path = reference_path(assignment)
    return module_from_source(reference_source(assignment), f"reference_{assignment}", path.parent)
