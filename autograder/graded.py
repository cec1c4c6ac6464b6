"""What grading one submission produces: plain data that every report and the journal are made from."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .labkit.framework import Check, Result


@dataclass(frozen=True)
class GradedSubmission:
    """One submission's grade.

    results -- one Result per check, in catalogue order (scores are fractions)
    points -- check id -> points earned; max_points -- check id -> points possible
    error -- why the submission could not be graded at all (unreadable file, no code), else None
    isolation -- the isolation level in force ("bubblewrap", "rlimits"; "none" when no code ran)
    """

    student_id: str
    source_path: str
    results: list[Result]
    points: dict[str, float]
    max_points: dict[str, float]
    seconds: float
    isolation: str
    error: str | None = None
    output: str = ""  # what the submission printed (truncated), for the feedback
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(self.points.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(self.max_points.values()), 6)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GradedSubmission":
        return cls(**{**data, "results": [Result(**r) for r in data["results"]]})

    @classmethod
    def not_run(cls, student_id: str, source_path: str, checks: Iterable[Check], max_points: dict[str, float],
                status: str, error: str, seconds: float) -> "GradedSubmission":
        """A submission none of whose code ran (unreadable file, lost worker): every check `status`, no points."""
        results = [Result(c.id, c.function, c.title, c.visibility, status, 0.0, error) for c in checks]
        return cls(student_id, source_path, results, {r.check_id: 0.0 for r in results},
                   {r.check_id: max_points[r.check_id] for r in results}, seconds, "none", error)
