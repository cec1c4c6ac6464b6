"""The class summary: score distribution, per-check failure rates, commonest misconceptions, ungradable files.

`class_summary` computes it (plots included, as PNG bytes); `summary_markdown` and `summary_html` render it.
The Markdown links the plots as files beside it; the HTML page inlines them (base64), so it stands alone.
"""

import base64
import html
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..graded import GradedSubmission
from ..labkit.framework import CRASHED, FAILED, PASSED, TIMEOUT
from ..labkit.plan import ERROR, INVALID, MISSING, NOT_ATTEMPTED
from . import plots
from .common import check_ids
from .feedback import CSS

# Why a check did not pass, grouped for the summary (a missing result means the file could not be graded).
OUTCOMES = {"wrong": (FAILED,), "not attempted": (NOT_ATTEMPTED,), "error": (ERROR, INVALID, MISSING),
            "timeout or crash": (TIMEOUT, CRASHED)}
NOT_GRADED = "not graded"
COLORS = {"wrong": "#cf222e", "not attempted": "#8c959f", "error": "#bf8700", "timeout or crash": "#6639ba",
          NOT_GRADED: "#24292f"}
TOP_DIAGNOSES = 12


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


@dataclass(frozen=True)
class Summary:
    title: str
    count: int
    max_score: float
    scores: list[float]
    checks: list[CheckRow]
    diagnoses: list[tuple[str, str, int]]  # (check id, misconception, submissions), commonest first
    errors: list[tuple[str, str]]  # (student id, why it could not be graded)
    plots: dict[str, bytes] = field(default_factory=dict)  # file stem -> PNG


def _outcome(status: str | None) -> str | None:
    if status is None:
        return NOT_GRADED
    return next((name for name, members in OUTCOMES.items() if status in members), None)


def _check_rows(graded: Sequence[GradedSubmission]) -> list[CheckRow]:
    ids: list[str] = []
    titles: dict[str, tuple[str, str]] = {}
    for g in graded:
        ids += [c for c in check_ids(g) if c not in ids]
        titles.update({r.check_id: (r.title, r.visibility) for r in g.results if r.check_id not in titles})
    n = max(len(graded), 1)
    rows = []
    for check_id in ids:
        statuses = [next((r.status for r in g.results if r.check_id == check_id), None) for g in graded]
        tally = Counter(_outcome(s) for s in statuses if s != PASSED)
        title, visibility = titles.get(check_id, ("", ""))
        rows.append(CheckRow(
            check_id, title, visibility, max((g.max_points.get(check_id, 0.0) for g in graded), default=0.0),
            sum(g.points.get(check_id, 0.0) for g in graded) / n, statuses.count(PASSED) / n,
            {name: tally.get(name, 0) / n for name in [*OUTCOMES, NOT_GRADED]}))
    return rows


def class_summary(graded: Sequence[GradedSubmission], title: str) -> Summary:
    """Everything the summary shows, plots included."""
    scores = [g.score for g in graded]
    max_score = max((g.max_score for g in graded), default=0.0)
    checks = _check_rows(graded)
    diagnoses = Counter((r.check_id, r.diagnosis) for g in graded for r in g.results if r.diagnosis)
    ranked = sorted(diagnoses.items(), key=lambda item: (-item[1], item[0]))
    summary = Summary(title, len(graded), max_score, scores, checks,
                      [(c, d, n) for (c, d), n in ranked],
                      sorted((g.student_id, g.error) for g in graded if g.error is not None))
    if graded:
        summary.plots["scores"] = plots.score_histogram(scores, max_score)
        failing = [c for c in checks if c.passed < 1.0]
        if failing:
            shares = {name: [c.outcomes[name] for c in failing] for name in COLORS
                      if any(c.outcomes[name] for c in failing)}
            summary.plots["checks"] = plots.check_outcomes([c.check_id for c in failing], shares, COLORS)
        if ranked:
            top = summary.diagnoses[:TOP_DIAGNOSES]
            summary.plots["misconceptions"] = plots.counts_bar(
                [f"{c}: {d.replace('_', ' ')}" for c, d, _ in top], [n for _, _, n in top], "Commonest misconceptions")
    return summary


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _overview(summary: Summary) -> list[tuple[str, str]]:
    rows = [("submissions", str(summary.count)), ("could not be graded", str(len(summary.errors)))]
    if summary.scores:
        rows += [("mean score", f"{statistics.fmean(summary.scores):.2f} / {summary.max_score:g}"),
                 ("median score", f"{statistics.median(summary.scores):g}"),
                 ("lowest / highest", f"{min(summary.scores):g} / {max(summary.scores):g}"),
                 ("full marks", str(sum(s >= summary.max_score for s in summary.scores)))]
    return rows


def _check_table(summary: Summary) -> tuple[list[str], list[list[str]]]:
    header = ["check", "visibility", "points", "mean points", "passed", *OUTCOMES, NOT_GRADED]
    rows = [[c.check_id, c.visibility, f"{c.points:g}", f"{c.mean_points:.2f}", _percent(c.passed),
             *[_percent(c.outcomes[name]) for name in [*OUTCOMES, NOT_GRADED]]] for c in summary.checks]
    return header, rows


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows] + [""]


def summary_markdown(summary: Summary, plot_dir: str) -> str:
    """The summary as Markdown; plots are linked as `plot_dir/<name>.png` (the writer puts them there)."""
    lines = [f"# {summary.title}: class summary", ""]
    lines += _md_table(["", ""], [list(row) for row in _overview(summary)])
    if "scores" in summary.plots:
        lines += [f"![score distribution]({plot_dir}/scores.png)", ""]
    lines += ["## Checks", "", "Share of submissions per outcome.", ""]
    lines += _md_table(*_check_table(summary))
    if "checks" in summary.plots:
        lines += [f"![failure rate per check]({plot_dir}/checks.png)", ""]
    lines += ["## Commonest misconceptions", ""]
    if summary.diagnoses:
        lines += _md_table(["check", "misconception", "submissions"],
                           [[c, d.replace("_", " "), str(n)] for c, d, n in summary.diagnoses])
        lines += [f"![commonest misconceptions]({plot_dir}/misconceptions.png)", ""]
    else:
        lines += ["No known misconception was diagnosed.", ""]
    if summary.errors:
        lines += ["## Submissions that could not be graded", ""]
        lines += _md_table(["student", "why"], [[s, e] for s, e in summary.errors])
    return "\n".join(lines).rstrip() + "\n"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(summary: Summary, name: str, alt: str) -> str:
    if name not in summary.plots:
        return ""
    data = base64.b64encode(summary.plots[name]).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="max-width:100%"></p>'


def summary_html(summary: Summary) -> str:
    """The summary as one self-contained HTML page, plots inlined."""
    header, rows = _check_table(summary)
    body = [f"<h1>{html.escape(summary.title)}: class summary</h1>",
            _html_table(["", ""], [list(row) for row in _overview(summary)]),
            _img(summary, "scores", "score distribution"),
            "<h2>Checks</h2><p class=\"muted\">Share of submissions per outcome.</p>", _html_table(header, rows),
            _img(summary, "checks", "failure rate per check"), "<h2>Commonest misconceptions</h2>"]
    if summary.diagnoses:
        body += [_html_table(["check", "misconception", "submissions"],
                             [[c, d.replace("_", " "), str(n)] for c, d, n in summary.diagnoses]),
                 _img(summary, "misconceptions", "commonest misconceptions")]
    else:
        body.append("<p>No known misconception was diagnosed.</p>")
    if summary.errors:
        body += ["<h2>Submissions that could not be graded</h2>",
                 _html_table(["student", "why"], [[s, e] for s, e in summary.errors])]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(summary.title)}: class summary</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body></html>\n")
