"""Where the reports go: out_dir/{gradebook.csv, summary.md, summary.html, summary_plots/},
out_dir/submissions/<folder>/{results.json, feedback.md, feedback.html}. Every file is written atomically.

`write_class_reports` builds them in one pass over the class, one grade at a time: each grade's own reports (when
asked for or missing), its gradebook rows (streamed to the file) and its share of the summary (counts only).
"""

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..graded import GradedSubmission, bounded
from ..policies import NO_POLICIES, Policies
from .common import atomic_open, atomic_write
from .feedback import feedback_html, feedback_markdown, figure_file, figure_svgs
from .gradebook import GradebookWriter
from .results_json import results_json_text
from .summary import Summary, SummaryBuilder, summary_html, summary_markdown

SUBMISSIONS_DIR = "submissions"
PLOTS_DIR = "summary_plots"
RESULTS_FILE = "results.json"  # written last of a submission's reports: where it exists, the others do


@dataclass(frozen=True)
class ClassRow:
    """One row of the class as the reports see it."""

    graded: GradedSubmission
    folder: str  # under out_dir/submissions/
    outdated: bool = False  # graded under an older grading fingerprint
    rewrite: bool = True  # write its own reports even if they exist (it was graded or named in this run)


def write_submission_reports(graded: GradedSubmission, folder: Path, title: str,
                             hidden_visibility: str = "after_published") -> None:
    """results.json, feedback.md (and the SVG pictures it links) and feedback.html of one submission, into `folder`."""
    graded = bounded(graded)  # what one submission can make us write is capped
    figures = figure_svgs(graded)
    for check_id, svg in figures.items():
        atomic_write(folder / figure_file(check_id), svg)
    atomic_write(folder / "feedback.md", feedback_markdown(graded, title, figures))
    atomic_write(folder / "feedback.html", feedback_html(graded, title, figures))
    atomic_write(folder / RESULTS_FILE, results_json_text(graded, hidden_visibility))


def write_summary(summary: Summary, out_dir: Path) -> None:
    """summary.md with its plots in out_dir/summary_plots/, and the self-contained summary.html."""
    for name, svg in summary.plots.items():
        atomic_write(out_dir / PLOTS_DIR / f"{name}.svg", svg)
    atomic_write(out_dir / "summary.md", summary_markdown(summary, PLOTS_DIR))
    atomic_write(out_dir / "summary.html", summary_html(summary))


def write_class_reports(rows: Iterable[ClassRow], out_dir: Path, title: str, checks: Sequence[str],
                        explanations: Mapping[str, str], hidden_visibility: str = "after_published",
                        policies: Policies = NO_POLICIES) -> None:
    """Every report of the class, in one pass over `rows` (sorted as the gradebook lists them).

    checks -- the gradebook's check columns, in order; explanations -- misconception id -> plain words
    policies -- overrides and the late policy, applied to the gradebook's rows (policies.py)
    """
    summary = SummaryBuilder(title, explanations)
    with atomic_open(out_dir / "gradebook.csv") as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        gradebook = GradebookWriter(handle, checks, policies)
        for row in rows:
            folder = out_dir / SUBMISSIONS_DIR / row.folder
            if row.rewrite or not (folder / RESULTS_FILE).exists():
                write_submission_reports(row.graded, folder, title, hidden_visibility)
            gradebook.add(row.graded, row.outdated)
            summary.add(row.graded, f"{SUBMISSIONS_DIR}/{row.folder}/feedback.html", row.outdated)
    write_summary(summary.build(), out_dir)
