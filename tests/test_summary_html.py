"""The class summary an instructor acts on, and every HTML page laid out in a real browser (headless Chromium).

The bundled samples (correct, wrong in typical ways, broken, cheating) and two more submissions that tamper with
grading are graded once; the summary must sort checks by failure rate, count misconceptions once per student in
plain words, link every student's feedback, flag the tampering the sandbox saw, and every page must fit 1280 px
with every image loaded.
"""

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, reference_source

from autograder.bulk import grade_batch
from autograder.checks import misconception_explanations
from autograder.course import load_course
from autograder.reports.summary import TAMPERING

COURSE = load_course()
SAMPLES = ROOT / "solutions" / "initialization" / "submissions"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = 1280
# Replaces a graded function by one that first writes a forged line into every open descriptor (the result
# channel among them), or ends the grading process.
FORGES = reference_source() + '''

_honest_zeros = initialize_zeros


def initialize_zeros(layer_dims):
    import os
    for fd in range(3, 64):
        try:
            os.write(fd, b'{"plan": 999}\\n')
        except OSError:
            pass
    return _honest_zeros(layer_dims)
'''
EXITS = reference_source() + '''

def initialize_zeros(layer_dims):
    import os
    os._exit(0)
'''
# Measures the page once it has loaded and writes what it found into the DOM, for --dump-dom.
PROBE = """<script>window.addEventListener("load", () => {
  const out = document.createElement("pre"); out.id = "layout-probe";
  out.textContent = JSON.stringify({
    viewport: window.innerWidth, scroll: document.documentElement.scrollWidth,
    tables: [...document.querySelectorAll("table")].map(t => Math.ceil(t.getBoundingClientRect().right)),
    images: [...document.images].map(i => i.complete ? i.naturalWidth : -1)});
  document.body.appendChild(out);
});</script>"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("class")
    (root / "in").mkdir()
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, root / "in" / sample.name)
    (root / "in" / "forges_results.py").write_text(FORGES)
    (root / "in" / "exits_in_a_check.py").write_text(EXITS)
    grade_batch([root / "in"], root / "out", COURSE, "initialization", jobs=2)
    return root / "out"


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def _section(markdown: str, heading: str) -> str:
    return markdown.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]


def _table(section: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("|---")][1:]


def test_checks_are_sorted_by_failure_rate(out: Path) -> None:
    rows = _table(_section((out / "summary.md").read_text(), "Checks, most failed first"))
    passed = [int(row[4].rstrip("%")) for row in rows]
    assert passed == sorted(passed) and passed[0] < passed[-1]


def test_misconceptions_are_counted_once_per_student_in_plain_words(out: Path) -> None:
    explanations = misconception_explanations(COURSE.assignment("initialization"))
    journal = [json.loads(line)["graded"] for line in (out / "journal.jsonl").read_text().splitlines()]
    students: dict[str, set[str]] = {}
    for graded in journal:
        for result in graded["results"]:
            if result["diagnosis"]:
                students.setdefault(result["diagnosis"], set()).add(graded["student_id"])
    assert students, "the samples include catalogued mistakes"
    rows = _table(_section((out / "summary.md").read_text(), "Commonest misconceptions"))
    assert {(row[0], int(row[2])) for row in rows} == {(explanations[m], len(s)) for m, s in students.items()}
    assert not {row[0] for row in rows} & set(explanations), "plain words, not code names"


def test_every_student_links_to_their_feedback(out: Path) -> None:
    page = (out / "summary.html").read_text()
    links = re.findall(r'<a href="(submissions/[^"]+/feedback\.html)">', page)
    assert len(links) == len(_rows(out)) == len(list(SAMPLES.iterdir())) + 2
    assert all((out / link).is_file() for link in links)


def test_submissions_that_tamper_with_grading_are_flagged(out: Path) -> None:
    section = _section((out / "summary.md").read_text(), "Flagged: tried to tamper with grading")
    flagged = {row[0]: row[1] for row in _table(section)}
    words = dict(TAMPERING)
    assert flagged == {"cheat_exits_early": words["your code could not be loaded"],
                       "forges_results": words["into the grader's channel"],
                       "exits_in_a_check": words["with os._exit("]}
    assert {"complete_and_correct", "he_with_xavier_scale", "memory_bomb", "infinite_loop_in_train"} <= set(_rows(out))


def _layout(page: Path, scratch: Path) -> dict:
    """What headless Chromium measures on `page` at a 1280 px wide window (a copy of it with PROBE added)."""
    probed = scratch / f"probed-{page.parent.name}-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={scratch / 'profile'}", f"--window-size={VIEWPORT},900",
               "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the page did not finish loading in Chromium: {page}"
    return json.loads(found.group(1).replace("&quot;", '"'))


def test_every_page_fits_1280_px_with_every_image_loaded(out: Path, tmp_path: Path) -> None:
    assert CHROMIUM, "headless Chromium is needed (bin/setup installs Debian's chromium)"
    pages = [out / "summary.html", *sorted((out / "submissions").glob("*/feedback.html"))]
    assert len(pages) == len(_rows(out)) + 1
    images = 0
    for page in pages:
        layout = _layout(page, tmp_path)
        assert layout["viewport"] == VIEWPORT
        assert layout["scroll"] <= VIEWPORT, f"{page} is {layout['scroll']} px wide"
        assert all(right <= VIEWPORT for right in layout["tables"]), f"a table is cut off in {page}"
        assert all(width > 0 for width in layout["images"]), f"an image did not load in {page}"
        images += len(layout["images"])
    assert images >= 3 + 1, "the summary's three plots and at least one feedback figure were drawn"
