"""What grading one submission produces: plain data that every report and the journal are made from."""

from dataclasses import asdict, dataclass, field
from typing import Any

from .labkit.framework import Result


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
