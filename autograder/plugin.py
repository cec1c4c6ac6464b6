"""An assignment is a plug-in: one folder, named in course.toml, holding everything that is about it.

    <folder>/reference.py   the reference solution (every answer cell), with `__all__`
    <folder>/lesson.md      the lesson text, experiments and test cells (-> the nbgrader source notebook)
    <folder>/kit/           student-side modules: provided code, public checks (public_checks.py: PUBLIC_CHECKS),
                            fakes, hint data. They ship in the release's labkit/ beside the general kit
                            (autograder/labkit), and run in the sandbox beside it.
    <folder>/grading/       the trusted side, never shipped: a package whose __init__ exports
                            hidden_checks(solution) -> list[Check], CATALOGUE (misconceptions), SAMPLES and
                            HELPER_CELL (sample submissions) and QUESTIONS (the answer key; may be empty).

The engine (autograder/) names no assignment. While an assignment is active, its kit/ joins autograder.labkit's
package path, so kit modules and the general kit are one package (`from .framework import Check` in a kit module,
`autograder.labkit.public_checks` in the engine), exactly as in the release's labkit/ folder. One assignment is
active at a time in a process; `activate` switches, forgetting the previous kit's modules.
"""

import importlib.util
import sys
import types
from functools import cache
from pathlib import Path

from . import labkit
from .course import Assignment

ENGINE_LABKIT = Path(labkit.__file__).resolve().parent
_active: list[Path] = []  # the kit folder now on labkit's path, if any


def activate(assignment: Assignment) -> None:
    """Make `assignment`'s kit modules importable as autograder.labkit.<name> (and forget another's)."""
    kit = assignment.kit.resolve()
    if _active == [kit]:
        return
    for old in _active:
        for name in kit_module_names(old):
            sys.modules.pop(f"{labkit.__name__}.{name}", None)
            labkit.__dict__.pop(name, None)
    labkit.__path__[:] = [str(ENGINE_LABKIT), str(kit)]
    for name in ("check", "hint", "PUBLIC_CHECKS"):  # built from the previous kit's public checks
        labkit.__dict__.pop(name, None)
    _active[:] = [kit]


def kit_module_names(kit: Path) -> list[str]:
    """The module names an assignment's kit folder defines."""
    return sorted(p.stem for p in kit.glob("*.py"))


def grading(assignment: Assignment) -> types.ModuleType:
    """The assignment's trusted-side package (its grading/ folder), with its kit active."""
    activate(assignment)
    return _load_grading(assignment.grading.resolve(), assignment.name)


@cache
def _load_grading(folder: Path, name: str) -> types.ModuleType:
    package = f"_grading_{name}"
    spec = importlib.util.spec_from_file_location(package, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None:
        raise ImportError(f"no grading package in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    return module


def labkit_files(assignment: Assignment) -> dict[str, Path]:
    """{file name: path} of the labkit an assignment ships: the general kit, then its own kit (which wins)."""
    files = {p.name: p for p in sorted(ENGINE_LABKIT.glob("*.py"))}
    files.update({p.name: p for p in sorted(assignment.kit.glob("*.py"))})
    return files
