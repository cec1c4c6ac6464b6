"""What grading one submission produces: plain data that every report and the journal are made from.

`bounded` caps what one submission can make the grader store and print: each check's feedback and figure, all
of them together, the printed output and every message, each cut with a marker saying how much was cut.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .labkit.framework import Check, Result, Visibility
from .labkit.plan import Status

if TYPE_CHECKING:
    from .submission import Submission

MAX_CHECK_TEXT = 4_000  # characters of one check's feedback
MAX_FIGURE_TEXT = 50_000  # characters of one check's figure data as JSON (a legitimate one is under 10,000)
MAX_SUBMISSION_TEXT = 200_000  # characters of all checks' feedback and figures together
MIN_CHECK_TEXT = 200  # what a check keeps of its feedback once the submission's budget is spent
MAX_OUTPUT_TEXT = 512_000  # characters of what the code printed (course.toml's output_kb cuts it first)
MAX_MESSAGE_TEXT = 2_000  # an error, a note, a warning, the student id or the source path
_MARKER_ROOM = 48  # the longest cut marker, "\n[... cut: <n> more characters]"
_FIGURE_LEFT_OUT = "\n[figure left out: its data was too large]"


@dataclass(frozen=True)
class Member:
    """One student a submission belongs to (a Gradescope group has several): the id the gradebook row gets, and the
    name and email where the LMS gave them."""

    id: str
    name: str = ""
    email: str = ""


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
    notes: list[str] = field(default_factory=list)  # the submission's notes: how its notebook's code was assembled
    # What the LMS said about the submission (see submission.Submission), for the gradebook and the late policy.
    members: list[Member] = field(default_factory=list)
    late: bool = False
    submitted_at: str | None = None
    ignored: list[str] = field(default_factory=list)

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
        results = [Result(**{**r, "visibility": Visibility(r["visibility"]), "status": Status(r["status"])})
                   for r in data["results"]]  # JSON holds their plain values
        return cls(**{**data, "results": results, "members": [Member(**m) for m in data.get("members", [])]})

    def with_facts_of(self, submission: "Submission") -> "GradedSubmission":
        """This grade with what the LMS said about `submission` (members, lateness, files not graded) attached."""
        return replace(self, members=list(submission.members), late=submission.late,
                       submitted_at=submission.submitted_at, ignored=list(submission.ignored))

    @classmethod
    def not_run(cls, student_id: str, source_path: str, checks: Iterable[Check], max_points: dict[str, float],
                status: Status, error: str, seconds: float) -> "GradedSubmission":
        """A submission none of whose code ran (unreadable file, lost worker): every check `status`, no points."""
        results = [Result(check_id=c.id, function=c.function, title=c.title, visibility=c.visibility, status=status,
                          score=0.0, feedback=error) for c in checks]
        return cls(student_id, source_path, results, {r.check_id: 0.0 for r in results},
                   {r.check_id: max_points[r.check_id] for r in results}, seconds, "none", error)


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: whole, or its start and a marker saying how much was cut. Lone
    surrogates (file names that were not UTF-8) become backslash escapes, so any file can hold the result."""
    text = text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    keep = max(limit - _MARKER_ROOM, 0)
    return f"{text[:keep]}\n[... cut: {len(text) - keep} more characters]"


def _bounded_result(result: Result, budget: int) -> tuple[Result, int]:
    """A result with its feedback and figure within the per-check caps and the submission's remaining budget;
    returns the budget left."""
    limit = max(min(MAX_CHECK_TEXT, budget), MIN_CHECK_TEXT)
    figure, note = result.figure, ""
    size = 0 if figure is None else len(json.dumps(figure))
    if figure is not None and size > min(MAX_FIGURE_TEXT, budget - limit):
        figure, size, note = None, 0, _FIGURE_LEFT_OUT
    feedback = cut(result.feedback, limit - len(note)) + note
    return replace(result, feedback=feedback, figure=figure), budget - len(feedback) - size


def bounded(graded: GradedSubmission) -> GradedSubmission:
    """The same grade with what the submission could make large capped (per check and for the whole
    submission) and every cut marked; applying it twice changes nothing more."""
    budget, results = MAX_SUBMISSION_TEXT, []
    for result in graded.results:
        result, budget = _bounded_result(result, budget)
        results.append(result)
    return replace(graded, results=results, student_id=cut(graded.student_id, MAX_MESSAGE_TEXT),
                   source_path=cut(graded.source_path, MAX_MESSAGE_TEXT), output=cut(graded.output, MAX_OUTPUT_TEXT),
                   error=None if graded.error is None else cut(graded.error, MAX_MESSAGE_TEXT),
                   warnings=[cut(w, MAX_MESSAGE_TEXT) for w in graded.warnings],
                   notes=[cut(n, MAX_MESSAGE_TEXT) for n in graded.notes])
