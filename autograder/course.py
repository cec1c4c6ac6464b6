"""course.toml -> typed settings of the course, its assignments and grading."""

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from .policies import LatePolicy

if sys.version_info >= (3, 11):
    import tomllib
else:  # Gradescope's default image (Ubuntu 22.04) has Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
COURSE_FILE = ROOT / "course.toml"
OVERRIDES_FILE = "overrides.csv"  # beside course.toml unless [grading] overrides names another


WALL_PER_CPU = 2  # a check's wall limit over its CPU limit: room for a loaded machine, as contest judges give


@dataclass(frozen=True)
class CheckLimits:
    """What one check's calls may take, in seconds. CPU time, of the child's whole process: computing that never
    ends is stopped there, whatever else the machine runs. Wall time: a backstop for code that does not compute
    (sleeps, waits on input or on a process of its own). Contest judges do the same (isolate's --time and
    --wall-time)."""

    cpu: float
    wall: float


@dataclass(frozen=True)
class Grading:
    """How the isolated grader runs one submission (see [grading] in course.toml)."""

    jobs: int = 2
    check_timeout_seconds: float = 10.0  # the most wall time one check's calls may take (half of it in CPU time)
    check_timeout_min_seconds: float = 2.0  # the least wall time (see check_limits)
    check_cpu_min_seconds: float = 1.0  # the least CPU time
    check_timeout_multiple: float = 1000.0  # times what the reference solution takes on the same plan
    load_timeout_seconds: float = 20.0
    cpu_seconds: int = 600  # a backstop: a child runs every check, each bounded by check_timeout_seconds
    memory_mb: int = 2048
    output_kb: int = 256
    max_processes: int = 32
    isolation: str = "auto"
    execute_notebooks: bool = False  # run every code cell (IPython shell, magics too) before the checks
    execute_timeout_seconds: float = 300.0  # wall time for that whole run
    hidden_visibility: str = "after_published"  # Gradescope visibility of hidden checks' results
    submission_timeout_seconds: float = 0.0  # wall time for all of a submission's children; 0: derived (below)
    sandbox_uid_base: int = 2_000_000_000  # children run under a fresh uid from this range (as root)
    sandbox_uid_count: int = 65_536
    warm_start: bool = True  # fork children from a pre-started, pre-imported zygote (bubblewrap as root)

    def check_limits(self, reference_seconds: float) -> "CheckLimits":
        """What one check's calls may take. CPU time: check_timeout_multiple times what the reference solution
        takes on the same plan, rounded up to whole seconds (the feedback names it), within [check_cpu_min_seconds,
        check_timeout_seconds / WALL_PER_CPU]. Wall time: WALL_PER_CPU times that, within
        [check_timeout_min_seconds, check_timeout_seconds]: never less, so that computing is stopped by its CPU
        limit, which a busy machine (it slows the wall clock, not the CPU clock) cannot use up. A loop that never
        ends in a function whose checks take milliseconds then costs a second of computing, not the most any
        check may take."""
        scaled = math.ceil(self.check_timeout_multiple * reference_seconds)
        cpu = min(self.check_timeout_seconds / WALL_PER_CPU, max(self.check_cpu_min_seconds, scaled))
        wall = min(self.check_timeout_seconds, max(self.check_timeout_min_seconds, WALL_PER_CPU * cpu))
        return CheckLimits(cpu, wall)

    def submission_budget(self, load_timeout: float) -> float:
        """The wall time one submission may use in all: configured, else one load and ten checks' worth of
        timeouts, so that reloads after crashes cannot multiply the per-check limits."""
        return self.submission_timeout_seconds or load_timeout + 10 * self.check_timeout_seconds


@dataclass(frozen=True)
class Assignment:
    """One assignment: where its files are and what every check is worth."""

    name: str
    title: str
    source: Path
    notebook: str
    reference: Path
    release: Path
    points: dict[str, float]
    reveal_answers: bool = False  # ship the questions' answer key with the release (self-study)
    due: str | None = None  # ISO 8601 with an offset: this assignment's due time for the late policy

    @property
    def kit(self) -> Path:
        """Its student-side modules, shipped in the release's labkit/ (see plugin.py)."""
        return self.source / "kit"

    @property
    def grading(self) -> Path:
        """Its trusted-side package: hidden checks, misconceptions, samples (see plugin.py)."""
        return self.source / "grading"

    @property
    def source_notebook(self) -> Path:
        return self.source / self.notebook

    @property
    def release_notebook(self) -> Path:
        return self.release / self.notebook

    def function_points(self, function: str) -> float:
        """The points of every check of `function`: what its notebook test cell is worth."""
        return sum(p for check_id, p in self.points.items() if check_id.split(".")[0] == function)


class CourseError(ValueError):
    """course.toml does not say what a command needs (e.g. which assignment); the message says how to fix it."""


@dataclass(frozen=True)
class Course:
    name: str
    seed_salt: str
    grading: Grading
    assignments: dict[str, Assignment]
    # Applied when gradebook rows are made, never part of a grade (policies.py): kept out of Grading, whose settings
    # decide grades.
    late: LatePolicy | None = None  # [grading.late]; None: no late penalty
    overrides: Path | None = None  # overrides.csv, used when the file exists

    def assignment(self, name: str | None = None) -> Assignment:
        """The named assignment, or the only one when name is None."""
        if name is None:
            if len(self.assignments) != 1:
                names = ", ".join(sorted(self.assignments))
                raise CourseError(f"this course has {len(self.assignments)} assignments ({names}): choose one with "
                                 "--assignment NAME")
            return next(iter(self.assignments.values()))
        if name not in self.assignments:
            raise CourseError(f"no assignment {name!r} in this course; it has {', '.join(sorted(self.assignments))}")
        return self.assignments[name]


def load_course(path: Path = COURSE_FILE) -> Course:
    """Read course.toml; relative paths in it are relative to its folder."""
    data = tomllib.loads(path.read_text())
    base = path.parent
    assignments = {
        name: Assignment(
            name=name,
            title=spec["title"],
            source=base / spec["source"],
            notebook=spec["notebook"],
            reference=base / spec["reference"],
            release=base / spec["release"],
            points={k: float(v) for k, v in spec.get("points", {}).items()},
            reveal_answers=spec.get("reveal_answers", False) is True,  # anything but true keeps answers hidden
            due=spec.get("due"),
        )
        for name, spec in data["assignments"].items()
    }
    grading = dict(data.get("grading", {}))
    late, overrides = grading.pop("late", None), grading.pop("overrides", OVERRIDES_FILE)
    return Course(
        name=data["course"]["name"],
        seed_salt=data["course"]["seed_salt"],
        grading=Grading(**grading),
        assignments=assignments,
        late=LatePolicy(**late) if late is not None else None,
        overrides=base / overrides,
    )
