"""Reports: results.json follows Gradescope's schema, the gradebook's columns, feedback and summary pages."""

import csv
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from autograder.course import load_course
from autograder.graded import GradedSubmission
from autograder.labkit.framework import Result
from autograder.labkit.plan import Status
from autograder.reports.common import atomic_write
from autograder.reports.feedback import feedback_html, feedback_markdown
from autograder.reports.gradebook import FIXED_COLUMNS, gradebook_csv
from autograder.reports.results_json import results_json
from autograder.reports.summary import OUTCOMES, class_summary, summary_html, summary_markdown

INITIALIZATION = load_course().assignment("initialization")

TITLE = "Weight initialization"
POINTS = {"initialize_he.shapes": 0.5, "initialize_he.scale": 1.0, "forward.tiny_example": 2.0,
          "train.outputs": 1.0, "q_symmetry.answer": 1.0}


def _graded(student: str, statuses: dict[str, str], diagnosis: str | None = None, output: str = "",
            error: str | None = None) -> GradedSubmission:
    results = []
    for check_id, status in statuses.items():
        function = check_id.split(".")[0]
        hidden = "hidden" if function.startswith("q_") else "public"
        feedback = "" if status == "passed" else f"{function} feedback for {student}"
        results.append(Result(check_id, function, f"title of {check_id}", hidden, status,
                              1.0 if status == "passed" else 0.0, feedback,
                              diagnosis if check_id == "initialize_he.scale" else None, 0.01))
    points = {r.check_id: POINTS[r.check_id] * r.score for r in results}
    return GradedSubmission(student, f"{student}.ipynb", results, points, dict(POINTS), 0.42, "bubblewrap",
                            error, output)


ALL_PASS = dict.fromkeys(POINTS, "passed")
ANN = _graded("ann", ALL_PASS)
BEN = _graded("ben", {**ALL_PASS, "initialize_he.scale": "failed", "train.outputs": "not_attempted"},
              diagnosis="xavier_scale", output="debug: <script>alert(1)</script> ``` fence")
CAT = _graded("cat", {**ALL_PASS, "initialize_he.scale": "failed", "forward.tiny_example": "timeout"},
              diagnosis="xavier_scale")
DAN = _graded("dan", dict.fromkeys(POINTS, "error"), error="dan.ipynb: the notebook is not valid JSON")
CLASS = [CAT, ANN, DAN, BEN]

# Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/): the fields we
# write, their types, and the allowed values.
TOP_FIELDS = {"score": float, "execution_time": float, "output": str, "tests": list}
TEST_FIELDS = {"name": str, "score": float, "max_score": float, "status": str, "output": str, "visibility": str}
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}


def _has_type(kind: type, value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) if kind is float else isinstance(value, kind)


def assert_results_schema(data: dict) -> None:
    """Fail unless `data` is a results.json object Gradescope accepts (the fields we use)."""
    assert set(data) <= set(TOP_FIELDS) | {"visibility", "stdout_visibility", "output_format", "extra_data"}
    for field, kind in TOP_FIELDS.items():
        assert _has_type(kind, data[field]), (field, data[field])
    for test in data["tests"]:
        assert set(test) == set(TEST_FIELDS), test
        for field, kind in TEST_FIELDS.items():
            assert _has_type(kind, test[field]), (field, test[field])
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"]
    json.dumps(data, allow_nan=False)  # strict JSON: no NaN or infinity anywhere


def test_results_json_follows_the_schema() -> None:
    for graded in CLASS:
        assert_results_schema(results_json(graded))
    data = results_json(BEN)
    assert data["score"] == BEN.score == 3.5
    assert data["execution_time"] == 0.42
    by_name = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert list(by_name) == list(POINTS)
    assert by_name["initialize_he.scale"]["status"] == "failed"
    assert by_name["initialize_he.scale"]["max_score"] == 1.0
    assert by_name["initialize_he.scale"]["output"] == "[wrong] initialize_he feedback for ben"  # no internal label
    assert by_name["train.outputs"]["output"].startswith("[not attempted]")
    assert by_name["initialize_he.shapes"]["status"] == "passed"
    assert by_name["initialize_he.shapes"]["visibility"] == "visible"
    assert by_name["q_symmetry.answer"]["visibility"] == "after_published"
    assert results_json(BEN, hidden_visibility="hidden")["tests"][-1]["visibility"] == "hidden"
    assert "<script>" in data["output"]  # the student's own output, as text, for their own eyes


def test_results_json_of_an_ungradable_file_says_why() -> None:
    data = results_json(DAN)
    assert data["score"] == 0 and "not valid JSON" in data["output"]
    assert sum(t["max_score"] for t in data["tests"]) == sum(POINTS.values())


def test_gradebook_has_a_row_per_submission_and_a_column_per_check() -> None:
    rows = list(csv.DictReader(io.StringIO(gradebook_csv(CLASS))))
    header = next(csv.reader(io.StringIO(gradebook_csv(CLASS))))
    assert header[: len(FIXED_COLUMNS)] == FIXED_COLUMNS
    assert header[len(FIXED_COLUMNS):] == [c for check in POINTS for c in (check, f"{check}:status")]
    assert [r["student_id"] for r in rows] == ["ann", "ben", "cat", "dan"]
    ben = rows[1]
    assert (ben["score"], ben["max_score"], ben["status"]) == ("3.5", "5.5", "ok")
    assert (ben["initialize_he.scale"], ben["initialize_he.scale:status"]) == ("0", "failed")
    assert ben["train.outputs:status"] == "not_attempted" and ben["forward.tiny_example"] == "2"
    assert rows[2]["status"] == "timeout"
    assert rows[3]["status"] == "error" and "not valid JSON" in rows[3]["error"]


def test_feedback_tells_not_attempted_apart_from_wrong() -> None:
    markdown = feedback_markdown(BEN, TITLE)
    assert "**Not attempted yet:** `train` still raises NotImplementedError" in markdown
    assert "**wrong** · `initialize_he.scale`" in markdown
    assert "initialize_he feedback for ben" in markdown
    assert "xavier" not in markdown.lower()  # a diagnosis id is for the gradebook; the feedback explains it
    assert "Score: 3.5 / 5.5 points" in markdown
    assert "debug: <script>" in markdown and "````text" in markdown  # output fenced past its own backticks
    page = feedback_html(BEN, TITLE)
    assert 'class="badge not_attempted">not attempted<' in page
    assert 'class="badge failed">wrong<' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "not attempted" not in feedback_markdown(ANN, TITLE)
    assert "**passed** · `initialize_he.shapes`" in markdown  # beside a failure, passes are listed
    assert "## `forward` · 2 / 2\n\nAll 1 check passed." in markdown  # a clean function is one line


def test_feedback_of_an_ungradable_file_gives_the_reason_once() -> None:
    markdown = feedback_markdown(DAN, TITLE)
    assert markdown.count("not valid JSON") == 1 and "could not be graded" in markdown


# A link to a heading of the student's own notebook ("their.ipynb#Part-1...") loads nothing; anything else would.
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*(?!["']?(?:data:|#|[^"'/:]+\.ipynb#))|url\(|<link|<script|@import""",
                      re.IGNORECASE)


def test_html_pages_are_self_contained() -> None:
    summary = class_summary(CLASS, TITLE)
    pages = [feedback_html(g, TITLE) for g in CLASS] + [summary_html(summary)]
    for page in pages:
        assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
        assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert summary_html(summary).count('src="data:image/svg+xml;base64,') == 3


def test_summary_counts_scores_failures_and_misconceptions() -> None:
    summary = class_summary(CLASS, TITLE, {"xavier_scale": "the std is sqrt(1/fan_in)"})
    assert summary.count == 4 and summary.scores == {0.0: 1, 2.5: 1, 3.5: 1, 5.5: 1}
    assert [(m.explanation, m.function, m.students) for m in summary.misconceptions] == \
        [("the std is sqrt(1/fan_in)", "initialize_he", 2)]
    assert summary.errors == [("dan", "dan.ipynb: the notebook is not valid JSON")]
    scale = summary.checks[0]  # the most failed check comes first
    assert scale.check_id == "initialize_he.scale"
    assert (scale.passed, scale.outcomes["wrong"], scale.outcomes["error"]) == (0.25, 0.5, 0.25)
    assert set(summary.plots) == {"scores", "checks", "misconceptions"}
    for svg in summary.plots.values():  # well-formed SVG pictures
        assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    markdown = summary_markdown(summary, "plots")
    assert "| initialize_he.scale | public | 1 | 0.25 | 25% | 50% | 0% | 25% | 0% | 0% |" in markdown
    assert "| the std is sqrt(1/fan_in) | initialize_he | 2 |" in markdown
    assert "![score distribution](plots/scores.svg)" in markdown
    assert class_summary(CLASS, TITLE).plots["scores"] == summary.plots["scores"]  # same data, same bytes


def test_a_failed_check_with_a_figure_gets_its_plot_in_both_feedbacks(tmp_path) -> None:
    import dataclasses

    from autograder.reports.writer import write_submission_reports

    figure = {"kind": "per_layer", "title": "Signal", "ylabel": "E[a^2]", "log": True,
              "series": {"yours: He": [1.0, 0.5, 0.25], "reference: He": [1.0, 1.1, 0.9]}}
    results = [dataclasses.replace(r, figure=figure) if r.check_id == "initialize_he.scale" else r
               for r in BEN.results]
    graded = dataclasses.replace(BEN, results=results)
    write_submission_reports(graded, tmp_path, TITLE)
    svg = (tmp_path / "figure_initialize_he.scale.svg").read_text()
    assert ElementTree.fromstring(svg).tag.endswith("svg") and "yours: He" in svg and "reference: He" in svg
    assert "](figure_initialize_he.scale.svg)" in (tmp_path / "feedback.md").read_text()
    assert "data:image/svg+xml;base64," in (tmp_path / "feedback.html").read_text()
    # A passed check draws nothing, even with a figure.
    passed = [dataclasses.replace(r, figure=figure) for r in ANN.results]
    assert "data:image/svg" not in feedback_html(dataclasses.replace(ANN, results=passed), TITLE)


def test_the_signal_depth_check_draws_yours_beside_the_reference(reference_namespace) -> None:
    from autograder.checks import assignment_checks
    from autograder.labkit.inprocess import run_checks

    check = next(c for c in assignment_checks(INITIALIZATION) if c.id == "activation_statistics.signal_depth")
    statistics = reference_namespace["activation_statistics"]

    def exploding(X, params, activation="relu"):  # reports a std that doubles per layer
        return [{**s, "std": s["std"] * 2.0**i} for i, s in enumerate(statistics(X, params, activation))]

    result = run_checks([check], {**reference_namespace, "activation_statistics": exploding}, "figure")[0]
    assert result.status == "failed" and result.figure["kind"] == "per_layer"
    series = result.figure["series"]
    assert len(series["yours: He"]) == len(series["reference: He"]) == 20
    assert series["yours: He"] != series["reference: He"]
    assert run_checks([check], reference_namespace, "figure")[0].figure is None


def test_a_failed_distribution_check_draws_your_weights_against_the_target_normal(reference_namespace) -> None:
    from autograder.checks import assignment_checks
    from autograder.labkit.inprocess import run_checks
    from autograder.reports.plots import check_figure

    check = next(c for c in assignment_checks(INITIALIZATION) if c.id == "initialize_he.distribution")
    source = reference_namespace["initialize_he"]

    def xavier(layer_dims, rng=None):  # std sqrt(1/n): every entry sqrt(2) too small
        return {k: v / np.sqrt(2.0) for k, v in source(layer_dims, rng).items()}

    result = run_checks([check], {**reference_namespace, "initialize_he": xavier}, "histogram")[0]
    assert result.status == "failed" and result.figure["kind"] == "histogram"
    yours, expected = result.figure["series"]["yours"], result.figure["series"]["expected N(0, 1)"]
    centre = len(yours) // 2
    assert yours[centre] > 1.2 * expected[centre]  # too narrow: more of the mass sits near 0
    svg = check_figure(result.figure)
    assert ElementTree.fromstring(svg).tag.endswith("svg") and "your weights" in svg and "expected N(0, 1)" in svg
    assert run_checks([check], reference_namespace, "histogram")[0].figure is None


def test_the_gradebook_defuses_spreadsheet_formulas_in_student_ids() -> None:
    import dataclasses

    evil = dataclasses.replace(ANN, student_id='=HYPERLINK("http://x","y")', error="+1")
    row = next(csv.DictReader(io.StringIO(gradebook_csv([evil]))))
    assert row["student_id"] == '\'=HYPERLINK("http://x","y")' and row["error"] == "'+1"


def test_every_status_but_passed_is_counted_under_an_outcome() -> None:
    # "incomplete" (it calls a stub of the student's) once fell in no column of the summary.
    counted = [status for members in OUTCOMES.values() for status in members]
    assert sorted(counted) == sorted(set(Status) - {Status.PASSED})


def test_a_file_half_written_by_a_killed_run_goes_when_the_file_is_written_again(tmp_path: Path) -> None:
    # A batch writes each submission's reports while it grades: a SIGKILL can land inside atomic_write.
    stale = tmp_path / ".feedback.md.k1ll3d.tmp"
    stale.write_text("half")
    neighbour = tmp_path / ".results.json.k1ll3d.tmp"  # another file's: written again in its own turn
    neighbour.write_text("half")
    atomic_write(tmp_path / "feedback.md", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [neighbour.name, "feedback.md"]
    assert (tmp_path / "feedback.md").read_text() == "whole"


@pytest.mark.parametrize("values", [[1.0, 1e308, 5e-324], [float("nan"), float("inf"), -float("inf")], [], [0.0],
                                    [1e300, -1e300]], ids=["huge and tiny", "not finite", "empty", "zero", "wide"])
@pytest.mark.parametrize("log", [True, False])
def test_a_figure_of_any_numbers_a_student_returns_is_well_formed_svg(values: list[float], log: bool) -> None:
    from autograder.reports.plots import check_figure

    # activation_statistics returning a std of 1e154 once stopped every report of the class (log10 of inf).
    per_layer = {"kind": "per_layer", "title": "Signal", "ylabel": "E[a^2]", "log": log,
                 "series": {"yours: He": values, "reference: He": [1.0] * len(values)}}
    centres = [float(i) for i in range(max(1, len(values)))]  # one centre only, for the empty case
    yours = values or [0.0]
    histogram = {"kind": "histogram", "title": "W1", "xlabel": "w", "centres": centres,
                 "series": {"yours": yours, "expected": [0.5] * len(centres)}}
    for figure in (per_layer, histogram):
        svg = check_figure(figure)
        assert ElementTree.fromstring(svg).tag.endswith("svg")
        assert not re.search(r"\b(nan|inf)\b", svg), svg
