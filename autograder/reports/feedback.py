"""Per-student feedback, as Markdown and as a self-contained HTML page (inline CSS, no external resources).

Both say the same things in the same order: the score and a per-function overview, then per function every
check with its status and feedback (which, when a known misconception explains the data, explains it in plain
sentences; a diagnosis several checks share is stated once, under the first, and the others point back to it),
then what the code printed. The HTML links each notebook section the feedback names to that heading of the
submitted notebook. A function whose checks all found the stub is "not attempted", said once and apart from wrong
answers; a function that passed every check gets one line. The overview's bars are drawn in CSS, so a page
costs no plotting time.
"""

import html
import re
import sys
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from ..graded import GradedSubmission
from ..labkit.compare import SECTION_PATTERN
from ..labkit.framework import Result, Visibility
from ..labkit.inprocess import without_repeats
from ..labkit.plan import Status
from .common import status_label, svg_image
from .plots import check_figure

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.8em 0; } td, th { padding: 0.25em 0.7em; text-align: left; }
tr:nth-child(even) { background: #f6f8fa; }
.bar { width: 10em; height: 0.8em; background: #eaeef2; border-radius: 0.4em; overflow: hidden; }
.bar span { display: block; height: 100%; background: #2da44e; }
.badge { display: inline-block; min-width: 7.5em; padding: 0 0.4em; border-radius: 0.3em; font-size: 0.85em;
         text-align: center; color: #fff; background: #cf222e; }
.passed { background: #2da44e; } .not_attempted { background: #8c959f; }
.timeout, .crashed, .error, .invalid, .missing { background: #bf8700; }
.check { margin: 0.5em 0 0.9em 0; } .detail { margin: 0.3em 0 0 1.2em; white-space: pre-wrap; }
.banner { padding: 0.6em 1em; border-radius: 0.4em; background: #fff8c5; border: 1px solid #d4a72c; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; } code { font-size: 0.92em; }
.muted { color: #57606a; font-size: 0.9em; }
"""


@dataclass(frozen=True)
class _Function:
    """One graded function's part of the feedback."""

    name: str
    earned: float
    possible: float
    checks: list[Result]  # in catalogue order

    @property
    def not_attempted(self) -> bool:
        return all(r.status == Status.NOT_ATTEMPTED for r in self.checks)

    @property
    def all_passed(self) -> bool:
        return all(r.passed for r in self.checks)


def figure_svgs(graded: GradedSubmission) -> dict[str, str]:
    """The SVG picture of every check that did not pass and whose verdict drew a figure, by check id. A figure
    that cannot be drawn is left out (and said on stderr): a picture must never stop a class's reports."""
    figures = {}
    for r in graded.results:
        if r.figure and r.status != Status.PASSED:
            try:
                figures[r.check_id] = check_figure(r.figure)
            except Exception as error:  # the data are a student's numbers: drawn defensively, but never fatal
                print(f"{graded.student_id}: no figure for {r.check_id} ({type(error).__name__}: {error})",
                      file=sys.stderr)
    return figures


def figure_file(check_id: str) -> str:
    """The file name of a check's figure next to feedback.md."""
    return f"figure_{check_id}.svg"


def _plural(count: float, word: str) -> str:
    return f"{count:g} {word}" + ("" if count == 1 else "s")


def _waiting(f: _Function) -> str:
    return f"{_plural(len(f.checks), 'check')}, {_plural(f.possible, 'point')} waiting"


def _functions(graded: GradedSubmission) -> list[_Function]:
    """Per graded function, its checks; none when the submission could not be graded at all (the error says
    why, once, instead of under every check)."""
    if graded.error is not None:
        return []
    order: dict[str, list[Result]] = {}
    for result in graded.results:
        order.setdefault(result.function, []).append(result)
    return [_Function(name, sum(graded.points.get(r.check_id, 0.0) for r in checks),
                      sum(graded.max_points.get(r.check_id, 0.0) for r in checks), checks)
            for name, checks in order.items()]


def _counts(graded: GradedSubmission) -> str:
    statuses = [r.status for r in graded.results]
    passed, not_attempted = statuses.count(Status.PASSED), statuses.count(Status.NOT_ATTEMPTED)
    parts = [f"{passed} of {len(statuses)} checks passed"]
    if len(statuses) - passed - not_attempted:
        parts.append(f"{len(statuses) - passed - not_attempted} did not")
    if not_attempted:
        parts.append(f"{not_attempted} not attempted yet")
    return ", ".join(parts)


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _quote(text: str) -> str:
    return "\n".join(f"  > {line}" if line else "  >" for line in text.splitlines())


def _footer(graded: GradedSubmission) -> list[str]:
    lines = [] if graded.error is not None else [
        f"Graded with {graded.isolation} isolation; hidden checks use inputs you have not seen."]
    return lines + [f"Warning: {w}" for w in graded.warnings]


def feedback_markdown(graded: GradedSubmission, title: str, figures: dict[str, bytes] | None = None) -> str:
    """The Markdown feedback of one submission; figures (from figure_svgs) are linked as figure_<check>.svg."""
    figures = figure_svgs(graded) if figures is None else figures
    lines = [f"# {title}", f"Feedback for **{graded.student_id}**", "",
             f"**Score: {graded.score:g} / {graded.max_score:g} points**"
             + (f" · {_counts(graded)}" if graded.error is None else ""), ""]
    for note in graded.notes:  # how the notebook's code was put together: read before the results
        lines += [f"> **Note:** {note}", ""]
    if graded.error is not None:
        lines += [f"> **Your submission could not be graded:** {graded.error}", ""]
    functions = _functions(graded)
    if functions:
        lines += ["| function | points | status |", "|---|---|---|"]
        for f in functions:
            state = "not attempted" if f.not_attempted else f"{sum(r.passed for r in f.checks)}/{len(f.checks)} passed"
            lines.append(f"| `{f.name}` | {f.earned:g} / {f.possible:g} | {state} |")
        lines.append("")
    texts = without_repeats(graded.results)
    for f in functions:
        lines += [f"## `{f.name}` · {f.earned:g} / {f.possible:g}", ""]
        if f.not_attempted:
            lines += [f"**Not attempted yet:** `{f.name}` still raises NotImplementedError ({_waiting(f)}).", ""]
            continue
        if f.all_passed:
            lines += [f"All {_plural(len(f.checks), 'check')} passed.", ""]
            continue
        for r in f.checks:
            hidden = "" if r.visibility == Visibility.PUBLIC else " *(hidden check)*"
            points = f"{graded.points.get(r.check_id, 0.0):g} / {graded.max_points.get(r.check_id, 0.0):g}"
            lines.append(f"- **{status_label(r.status)}** · `{r.check_id}` — {r.title} ({points}){hidden}")
            if texts[r.check_id]:
                lines.append(_quote(texts[r.check_id]))
            if r.check_id in figures:
                lines.append(f"\n  ![{r.title}]({figure_file(r.check_id)})")
        lines.append("")
    if graded.output:
        fence = _fence(graded.output)
        lines += ["## What your code printed", "", f"{fence}text", graded.output.rstrip("\n"), fence, ""]
    if _footer(graded):
        lines += ["---", *[f"*{line}*  " for line in _footer(graded)]]
    return "\n".join(lines).rstrip() + "\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _code_spans(text: str) -> str:
    """Escaped text with its `code` spans (as Markdown writes them) set in <code>."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", _e(text))


def _bar(earned: float, possible: float) -> str:
    percent = 100.0 * earned / possible if possible else 0.0
    return f'<div class="bar"><span style="width:{percent:.0f}%"></span></div>'


def notebook_anchor(heading: str) -> str:
    """The URL fragment Jupyter (Lab, Notebook 7, nbconvert) gives a Markdown heading: spaces become '-'."""
    return quote(heading.replace(" ", "-"), safe="-")


def _linked(text: str, notebook: str | None) -> str:
    """Escaped feedback with its `code` spans set in <code> and, when the submission is a notebook, each notebook
    section it names linked to that heading of it."""
    if notebook is None:
        return _code_spans(text)
    parts, done = [], 0
    for match in SECTION_PATTERN.finditer(text):
        heading = match.group(1)
        parts.append(_code_spans(text[done:match.start(1) - 1]))  # up to the opening quote
        parts.append(f'<a href="{_e(notebook)}#{notebook_anchor(heading)}">&quot;{_e(heading)}&quot;</a>')
        done = match.end()
    return "".join(parts) + _code_spans(text[done:])


def _check_html(graded: GradedSubmission, r: Result, text: str, figures: dict[str, str]) -> str:
    hidden = "" if r.visibility == Visibility.PUBLIC else ' <span class="muted">(hidden check)</span>'
    points = f"{graded.points.get(r.check_id, 0.0):g} / {graded.max_points.get(r.check_id, 0.0):g}"
    parts = [f'<div class="check"><span class="badge {_e(r.status)}">{_e(status_label(r.status))}</span> '
             f"<code>{_e(r.check_id)}</code> — {_e(r.title)} <span class=\"muted\">({points})</span>{hidden}"]
    if text:
        notebook = PurePath(graded.source_path).name if graded.source_path.endswith(".ipynb") else None
        parts.append(f'<div class="detail">{_linked(text, notebook)}</div>')
    if r.check_id in figures:
        parts.append(f'<div class="detail">{svg_image(figures[r.check_id], r.title)}</div>')
    return "".join(parts) + "</div>"


def feedback_html(graded: GradedSubmission, title: str, figures: dict[str, str] | None = None) -> str:
    """The feedback of one submission as one self-contained HTML page (figures inline)."""
    figures = figure_svgs(graded) if figures is None else figures
    body = [f"<h1>{_e(title)}</h1>", f"<p>Feedback for <strong>{_e(graded.student_id)}</strong></p>",
            f"<p><strong>Score: {graded.score:g} / {graded.max_score:g} points</strong>"
            + (f" · {_e(_counts(graded))}" if graded.error is None else "") + "</p>"]
    body += [f'<p class="banner"><strong>Note:</strong> {_code_spans(note)}</p>' for note in graded.notes]
    if graded.error is not None:
        body.append(f'<p class="banner"><strong>Your submission could not be graded:</strong> {_e(graded.error)}</p>')
    functions, texts = _functions(graded), without_repeats(graded.results)
    if functions:
        rows = "".join(
            f"<tr><td><code>{_e(f.name)}</code></td><td>{f.earned:g} / {f.possible:g}</td>"
            f"<td>{_bar(f.earned, f.possible)}</td><td>"
            + ("not attempted" if f.not_attempted else f"{sum(r.passed for r in f.checks)}/{len(f.checks)} passed")
            + "</td></tr>" for f in functions)
        body.append(f"<table><tr><th>function</th><th>points</th><th></th><th>status</th></tr>{rows}</table>")
    for f in functions:
        body.append(f"<h2><code>{_e(f.name)}</code> · {f.earned:g} / {f.possible:g}</h2>")
        if f.not_attempted:
            body.append(f'<div class="check"><span class="badge not_attempted">not attempted</span> '
                        f"<code>{_e(f.name)}</code> still raises NotImplementedError ({_waiting(f)}).</div>")
            continue
        if f.all_passed:
            body.append(f'<div class="check"><span class="badge passed">passed</span> '
                        f"all {_plural(len(f.checks), 'check')} passed.</div>")
            continue
        body += [_check_html(graded, r, texts[r.check_id], figures) for r in f.checks]
    if graded.output:
        body += ["<h2>What your code printed</h2>", f"<pre>{_e(graded.output)}</pre>"]
    if _footer(graded):
        body.append("<hr>" + "".join(f'<p class="muted">{_e(line)}</p>' for line in _footer(graded)))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(title)}: {_e(graded.student_id)}</title><style>{CSS}</style></head>\n"
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n")
