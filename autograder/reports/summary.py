"""The class summary an instructor acts on: scores, the checks the class fails most, the misconceptions behind
them in plain words, every student with a link to their feedback, and submissions that tried to cheat.

`SummaryBuilder` folds the class in one pass, one grade at a time, keeping only counts (a score histogram, per-check
outcome counts, per-misconception student counts) and one short row per student; `summary_markdown` and
`summary_html` render the result. The Markdown links the plots as files beside it; the HTML page inlines them
(base64), so it stands alone.
"""

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..graded import GradedSubmission
from ..labkit.plan import Status
from . import plots
from .common import NOT_GRADED, submission_status, svg_image
from .feedback import CSS

# Why a check did not pass, grouped for the summary (a missing result means the file could not be graded).
OUTCOMES = {"wrong": (Status.FAILED,), "not attempted": (Status.NOT_ATTEMPTED, Status.INCOMPLETE),
            "error": (Status.ERROR, Status.INVALID, Status.MISSING),
            "timeout or crash": (Status.TIMEOUT, Status.CRASHED)}
COLORS = {"wrong": "#cf222e", "not attempted": "#8c959f", "error": "#bf8700", "timeout or crash": "#6639ba",
          NOT_GRADED: "#24292f"}
# Long check ids and explanations may wrap anywhere, so that the widest table still fits a 1280 px window.
SUMMARY_CSS = "table { font-size: 0.9em; } td, th { overflow-wrap: anywhere; }"
TOP_MISCONCEPTIONS = 12
SCORE_STEP = 0.01  # scores are counted to the hundredth of a point: the histogram's size is bounded by the points
LABEL_CHARS = 70  # a misconception's words on the plot's axis

# What the isolated runner says when a submission tampers with grading (run/isolated.py): it wrote into the
# result channel, answered a load with something other than the protocol's message (only forged data does), or
# ended the grading process with os._exit. Each phrase -> what the summary says about it.
TAMPERING = (("into the grader's channel", "wrote into the grader's result channel"),
             ("your code could not be loaded", "sent the grader a forged message while it was loaded"),
             ("with os._exit(", "ended the grading process with os._exit"))


def tampering(graded: GradedSubmission) -> str | None:
    """What the submission did to grading that honest code does not, in words, or None."""
    for result in graded.results:
        if result.status == Status.CRASHED:
            for phrase, words in TAMPERING:
                if phrase in result.feedback:
                    return words
    return None


@dataclass(frozen=True)
class CheckRow:
    """How the class did on one check."""

    check_id: str
    title: str
    visibility: str
    points: float
    mean_points: float
    passed: float  # share of submissions
    outcomes: dict[str, float]  # outcome -> share of submissions, for every key of OUTCOMES and NOT_GRADED

    @property
    def failure_rate(self) -> float:
        return 1.0 - self.passed


@dataclass(frozen=True)
class StudentRow:
    """One submission's line in the summary."""

    student_id: str
    score: float
    max_score: float
    status: str
    link: str  # the feedback page, relative to the summary
    flag: str | None  # how it tampered with grading, if it did
    outdated: bool  # graded before the checks or settings last changed


@dataclass(frozen=True)
class Misconception:
    """A diagnosed misconception: in plain words, where it shows, and how many students it explains."""

    explanation: str
    function: str
    students: int


@dataclass(frozen=True)
class Summary:
    title: str
    count: int
    max_score: float
    scores: dict[float, int]  # score (to SCORE_STEP) -> submissions
    checks: list[CheckRow]  # most failed first
    misconceptions: list[Misconception]  # commonest first
    students: list[StudentRow]
    errors: list[tuple[str, str]]  # (student id, why it could not be graded)
    plots: dict[str, str] = field(default_factory=dict)  # file stem -> SVG

    @property
    def flagged(self) -> list[StudentRow]:
        return [s for s in self.students if s.flag]

    @property
    def outdated(self) -> int:
        return sum(s.outdated for s in self.students)


def _outcome(status: Status) -> str | None:
    return next((name for name, members in OUTCOMES.items() if status in members), None)


@dataclass
class _CheckTally:
    title: str
    visibility: str
    points: float = 0.0
    earned: float = 0.0
    outcomes: Counter = field(default_factory=Counter)  # PASSED or an OUTCOMES name -> submissions


class SummaryBuilder:
    """Folds a class into a Summary one grade at a time; memory grows only by one short row per student."""

    def __init__(self, title: str, explanations: Mapping[str, str]) -> None:
        self.title = title
        self.explanations = explanations  # misconception id -> plain words (the catalogue's explanation)
        self.count = 0
        self.max_score = 0.0
        self.scores: Counter = Counter()
        self.checks: dict[str, _CheckTally] = {}
        self.misconceptions: Counter = Counter()  # (misconception id, function) -> students
        self.students: list[StudentRow] = []
        self.errors: list[tuple[str, str]] = []

    def add(self, graded: GradedSubmission, link: str, outdated: bool = False) -> None:
        """Count one submission; `link` is its feedback page relative to the summary."""
        self.count += 1
        self.max_score = max(self.max_score, graded.max_score)
        self.scores[round(round(graded.score / SCORE_STEP) * SCORE_STEP, 6)] += 1
        for check_id, possible in graded.max_points.items():
            tally = self.checks.setdefault(check_id, _CheckTally("", ""))
            tally.points = max(tally.points, possible)
            tally.earned += graded.points.get(check_id, 0.0)
        for result in graded.results:
            tally = self.checks.setdefault(result.check_id, _CheckTally("", ""))
            tally.title, tally.visibility = tally.title or result.title, tally.visibility or result.visibility
            tally.outcomes[Status.PASSED if result.passed else _outcome(result.status)] += 1
        # Once per student, however many checks a misconception made them fail.
        self.misconceptions.update({(r.diagnosis, r.function) for r in graded.results if r.diagnosis})
        self.students.append(StudentRow(graded.student_id, graded.score, graded.max_score,
                                        submission_status(graded), link, tampering(graded), outdated))
        if graded.error is not None:
            self.errors.append((graded.student_id, graded.error))

    def _check_rows(self) -> list[CheckRow]:
        n = max(self.count, 1)
        rows = []
        for check_id, tally in self.checks.items():
            graded = sum(tally.outcomes.values())
            shares = {name: tally.outcomes[name] / n for name in OUTCOMES} | {NOT_GRADED: (self.count - graded) / n}
            rows.append(CheckRow(check_id, tally.title, tally.visibility, tally.points, tally.earned / n,
                                 tally.outcomes[Status.PASSED] / n, shares))
        return sorted(rows, key=lambda row: -row.failure_rate)  # stable: ties keep the catalogue's order

    def build(self) -> Summary:
        """The summary of everything added so far, plots included."""
        ranked = sorted(self.misconceptions.items(), key=lambda item: (-item[1], item[0]))
        misconceptions = [Misconception(self.explanations.get(m, m.replace("_", " ")), function, n)
                          for (m, function), n in ranked]
        summary = Summary(self.title, self.count, self.max_score, dict(sorted(self.scores.items())),
                          self._check_rows(), misconceptions, self.students, sorted(self.errors))
        summary.plots.update(_plots(summary))
        return summary


def class_summary(graded: Iterable[GradedSubmission], title: str, explanations: Mapping[str, str] | None = None,
                  links: Mapping[str, str] | None = None) -> Summary:
    """The summary of a class held in memory; `links` maps a student id to its feedback page (default: none)."""
    builder = SummaryBuilder(title, explanations or {})
    for submission in sorted(graded, key=lambda g: (g.student_id, g.source_path)):
        builder.add(submission, (links or {}).get(submission.student_id, ""))
    return builder.build()


def _plots(summary: Summary) -> dict[str, str]:
    if not summary.count:
        return {}
    drawn = {"scores": plots.score_histogram(summary.scores, summary.max_score)}
    failing = [c for c in summary.checks if c.passed < 1.0]
    if failing:
        shares = {name: [c.outcomes[name] for c in failing] for name in COLORS
                  if any(c.outcomes[name] for c in failing)}
        drawn["checks"] = plots.check_outcomes([c.check_id for c in failing], shares, COLORS)
    if summary.misconceptions:
        top = summary.misconceptions[:TOP_MISCONCEPTIONS]
        drawn["misconceptions"] = plots.counts_bar([_label(m) for m in top], [m.students for m in top],
                                                   "Commonest misconceptions (students)")
    return drawn


def _label(misconception: Misconception) -> str:
    words = f"{misconception.function}: {misconception.explanation}"
    return words if len(words) <= LABEL_CHARS else words[: LABEL_CHARS - 1].rstrip() + "…"


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _nth(scores: dict[float, int], rank: int) -> float:
    """The score at 0-based `rank` of a histogram {score: count}, ascending."""
    seen = 0
    for score, n in scores.items():
        seen += n
        if seen > rank:
            return score
    raise IndexError(rank)


def _median(scores: dict[float, int], count: int) -> float:
    return (_nth(scores, (count - 1) // 2) + _nth(scores, count // 2)) / 2


def _overview(summary: Summary) -> list[list[str]]:
    rows = [["submissions", str(summary.count)], ["could not be graded", str(len(summary.errors))],
            ["flagged: tried to tamper with grading", str(len(summary.flagged))]]
    if summary.outdated:
        rows.append(["graded with older checks or settings (grade them again to update)", str(summary.outdated)])
    if summary.count:
        total = sum(score * n for score, n in summary.scores.items())
        rows += [["mean score", f"{total / summary.count:.2f} / {summary.max_score:g}"],
                 ["median score", f"{_median(summary.scores, summary.count):g}"],
                 ["lowest / highest", f"{min(summary.scores):g} / {max(summary.scores):g}"],
                 ["full marks", str(sum(n for s, n in summary.scores.items() if s >= summary.max_score))]]
    return rows


def _check_table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    header = ["check", "visibility", "points", "mean points", "passed", *OUTCOMES, NOT_GRADED]
    rows = [[c.check_id, c.visibility, f"{c.points:g}", f"{c.mean_points:.2f}", _percent(c.passed),
             *[_percent(c.outcomes[name]) for name in [*OUTCOMES, NOT_GRADED]]] for c in summary.checks]
    return header, rows


def _misconception_table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    return (["misconception", "in", "students"],
            [[m.explanation, m.function, str(m.students)] for m in summary.misconceptions])


def _flagged_table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    return ["student", "what the grader saw"], [[s.student_id, s.flag or ""] for s in summary.flagged]


def _error_table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    return ["student", "why"], [[s, e] for s, e in summary.errors]


def _student_cells(student: StudentRow) -> list[str]:
    return [student.student_id, f"{student.score:g} / {student.max_score:g}", student.status,
            student.flag or "", "yes" if student.outdated else ""]


STUDENT_HEADER = ["student", "score", "status", "flagged", "outdated", "feedback"]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows] + [""]


def _md_link(link: str) -> str:
    return f"[feedback]({link.replace(' ', '%20')})" if link else ""


def summary_markdown(summary: Summary, plot_dir: str) -> str:
    """The summary as Markdown; plots are linked as `plot_dir/<name>.svg` (the writer puts them there)."""
    lines = [f"# {summary.title}: class summary", ""]
    lines += _md_table(["", ""], _overview(summary))
    if "scores" in summary.plots:
        lines += [f"![score distribution]({plot_dir}/scores.svg)", ""]
    lines += ["## Checks, most failed first", "", "Share of submissions per outcome.", ""]
    lines += _md_table(*_check_table(summary))
    if "checks" in summary.plots:
        lines += [f"![failure rate per check]({plot_dir}/checks.svg)", ""]
    lines += ["## Commonest misconceptions", "", "Each student counted once per misconception.", ""]
    if summary.misconceptions:
        lines += _md_table(*_misconception_table(summary))
        lines += [f"![commonest misconceptions]({plot_dir}/misconceptions.svg)", ""]
    else:
        lines += ["No known misconception was diagnosed.", ""]
    if summary.flagged:
        lines += ["## Flagged: tried to tamper with grading", ""]
        lines += _md_table(*_flagged_table(summary))
    if summary.errors:
        lines += ["## Submissions that could not be graded", ""]
        lines += _md_table(*_error_table(summary))
    lines += ["## Students", ""]
    lines += _md_table(STUDENT_HEADER, [[*_student_cells(s), _md_link(s.link)] for s in summary.students])
    return "\n".join(lines).rstrip() + "\n"


def _html_table(header: list[str], rows: list[list[str]], links: list[str] | None = None) -> str:
    """A table of escaped text; with `links`, each row ends in a link to its page."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for index, row in enumerate(rows):
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in row)
        if links is not None:
            link = links[index]
            cells += f'<td><a href="{html.escape(link)}">feedback</a></td>' if link else "<td></td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _img(summary: Summary, name: str, alt: str) -> str:
    if name not in summary.plots:
        return ""
    return f"<p>{svg_image(summary.plots[name], alt)}</p>"


def summary_html(summary: Summary) -> str:
    """The summary as one self-contained HTML page, plots inlined."""
    body = [f"<h1>{html.escape(summary.title)}: class summary</h1>", _html_table(["", ""], _overview(summary)),
            _img(summary, "scores", "score distribution"),
            '<h2>Checks, most failed first</h2><p class="muted">Share of submissions per outcome.</p>',
            _html_table(*_check_table(summary)), _img(summary, "checks", "failure rate per check"),
            '<h2>Commonest misconceptions</h2><p class="muted">Each student counted once per misconception.</p>']
    if summary.misconceptions:
        body += [_html_table(*_misconception_table(summary)),
                 _img(summary, "misconceptions", "commonest misconceptions")]
    else:
        body.append("<p>No known misconception was diagnosed.</p>")
    if summary.flagged:
        body += ["<h2>Flagged: tried to tamper with grading</h2>",
                 _html_table(*_flagged_table(summary))]
    if summary.errors:
        body += ["<h2>Submissions that could not be graded</h2>",
                 _html_table(*_error_table(summary))]
    body += ["<h2>Students</h2>", _html_table(STUDENT_HEADER, [_student_cells(s) for s in summary.students],
                                               [s.link for s in summary.students])]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(summary.title)}: class summary</title>"
            f"<style>{CSS}{SUMMARY_CSS}</style></head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body></html>\n")
