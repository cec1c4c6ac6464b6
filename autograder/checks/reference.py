"""The reference solution on the trusted side, loaded from the path the course being graded names.

The reference imports the provided code as `labkit`, as a student's notebook does beside its labkit/ folder:
here that name is the engine's labkit with the assignment's kit active on its path (plugin.py). The same loader
executes mutated copies of the reference's text (the misconception catalogue). Nothing here reads
course.toml: whoever builds the checks passes the assignment's reference path in.
"""

import sys
import threading
import types
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import labkit
from ..labkit.plan import Step, execute

# A plan's fake steps replace functions in the module it runs against until the plan ends: one plan at a time per
# process, so that a verdict in another thread (a Dask worker with several threads) never sees a fake.
PLAN_LOCK = threading.RLock()


def _ensure_importable(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def module_from_source(source: str, name: str, folder: Path) -> types.ModuleType:
    """Execute `source` as a fresh module called `name`, with `folder` importable and `labkit` the active
    assignment's labkit (the general kit and its kit/, as beside a student's notebook; see plugin.py)."""
    _ensure_importable(folder)
    sys.modules.setdefault("labkit", labkit)
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


@cache
def _source(path: Path) -> str:
    return path.read_text()


@cache
def _module(path: Path, source: str, name: str) -> types.ModuleType:
    return module_from_source(source, name, path.parent)


@dataclass(frozen=True)
class Solution:
    """One assignment's reference solution (path: its reference.py), executed on first use and cached."""

    path: Path

    @property
    def source(self) -> str:
        return _source(self.path)

    @property
    def module(self) -> types.ModuleType:
        return _module(self.path, self.source, f"reference_{self.path.parent.name}")

    def variant(self, name: str, source: str) -> types.ModuleType:
        """A changed copy of the reference (a catalogued mistake), executed as its own module (cached)."""
        return _module(self.path, source, f"mutant_{name}")

    def run(self, plan: list[Step]) -> dict[str, Any]:
        """The values the reference gives for a plan; raises if the reference itself fails it."""
        with PLAN_LOCK:
            observation = execute(plan, vars(self.module))
        if observation["failure"] is not None:
            raise RuntimeError(f"the reference failed a probe: {observation['failure']['message']}")
        return observation["values"]


def run_quietly(plan: list[Step], module: types.ModuleType) -> dict[str, Any]:
    """Execute a plan against a (mutated) module; its overflow warnings are expected, not news."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with PLAN_LOCK:
            return execute(plan, vars(module))
