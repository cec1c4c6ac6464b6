"""Where the reports go: out_dir/{gradebook.csv, summary.md, summary.html, summary_plots/},
out_dir/submissions/<folder>/{results.json, feedback.md, feedback.html}. Every file is written atomically."""

from collections.abc import Sequence
from pathlib import Path

from ..graded import GradedSubmission, bounded
from .common import atomic_write
from .feedback import feedback_html, feedback_markdown, figure_file, figure_pngs
from .gradebook import gradebook_csv
from .results_json import results_json_text
from .summary import class_summary, summary_html, summary_markdown

SUBMISSIONS_DIR = "submissions"
PLOTS_DIR = "summary_plots"


def write_submission_reports(graded: GradedSubmission, folder: Path, title: str,
                             hidden_visibility: str = "after_published") -> None:
    """results.json, feedback.md (and the PNGs it links) and feedback.html of one submission, into `folder`."""
    graded = bounded(graded)  # what one submission can make us write is capped
    figures = figure_pngs(graded)
    for check_id, png in figures.items():
        atomic_write(folder / figure_file(check_id), png)
    atomic_write(folder / "feedback.md", feedback_markdown(graded, title, figures))
    atomic_write(folder / "feedback.html", feedback_html(graded, title, figures))
    atomic_write(folder / "results.json", results_json_text(graded, hidden_visibility))


def write_batch_reports(graded: Sequence[GradedSubmission], folders: Sequence[str], out_dir: Path, title: str,
                        hidden_visibility: str = "after_published") -> None:
    """Every report of a batch: per submission (into out_dir/submissions/<folder>), gradebook and summary."""
    for submission, folder in zip(graded, folders, strict=True):
        write_submission_reports(submission, out_dir / SUBMISSIONS_DIR / folder, title, hidden_visibility)
    atomic_write(out_dir / "gradebook.csv", gradebook_csv(graded))
    summary = class_summary(graded, title)
    for name, png in summary.plots.items():
        atomic_write(out_dir / PLOTS_DIR / f"{name}.png", png)
    atomic_write(out_dir / "summary.md", summary_markdown(summary, PLOTS_DIR))
    atomic_write(out_dir / "summary.html", summary_html(summary))
