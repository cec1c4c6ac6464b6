"""Generate the student release with the real `nbgrader generate_assignment`.

Steps, in order:
1. rebuild the source notebook from lesson.md + reference.py (notebook.py);
2. stage an nbgrader course in a temporary folder: source/<assignment>/ is a copy of the source folder without
   the instructor-only files (reference.py, lesson.md, kit/, grading/, submissions/), with labkit/ assembled from
   the general kit and the assignment's kit (see autograder/plugin.py);
3. run `nbgrader generate_assignment` there;
4. add the student files (README.md, requirements.txt, test_public_checks.py from ./student/), and the answer key
   of the conceptual questions (labkit/answers.json) when course.toml's reveal_answers is true; never otherwise;
5. replace assignments/<assignment>/ with the result;
6. write the sample submissions (solutions/<assignment>/submissions/, see autograder/sample_submissions.py),
   made from the reference, the new release and the misconception catalogue.
The output depends only on the inputs: nbgrader writes no timestamps into the notebook (a test checks that
two builds are byte-identical, and that the committed release equals a fresh build).
"""

import filecmp
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.checks import answer_key, assignment_samples
from autograder.course import ROOT, Assignment
from autograder.labkit.notebook import RELEASE_INFO
from autograder.labkit.questions import ANSWER_FILE, dumps_key
from autograder.plugin import labkit_files
from autograder.sample_submissions import write_samples

from .notebook import LESSON_FILE, build_source_notebook, write_source_notebook

STUDENT_FILES = Path(__file__).resolve().parent / "student"
INSTRUCTOR_ONLY = ("reference.py", LESSON_FILE, "submissions", "kit", "grading")
IGNORED = ("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache")


def stage_course(assignment: Assignment, course_root: Path, source_notebook: str) -> Path:
    """Copy the source folder into course_root/source/<name> (symlinks followed), with `source_notebook` as its
    notebook and the assignment's labkit assembled beside it; returns that folder."""
    staged = course_root / "source" / assignment.name
    shutil.copytree(assignment.source, staged, symlinks=False,
                    ignore=shutil.ignore_patterns(*INSTRUCTOR_ONLY, *IGNORED))
    (staged / assignment.notebook).write_text(source_notebook)
    assemble_labkit(assignment, staged / "labkit")
    return staged


def assemble_labkit(assignment: Assignment, destination: Path) -> None:
    """The labkit/ a student gets beside the notebook: the general kit, the assignment's kit, and which notebook
    is the assignment's (for `pytest labkit`)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name, path in labkit_files(assignment).items():
        shutil.copyfile(path, destination / name)
    (destination / RELEASE_INFO).write_text(json.dumps({"assignment": assignment.name,
                                                         "notebook": assignment.notebook}) + "\n")


def run_generate_assignment(course_root: Path, name: str) -> Path:
    """Run nbgrader's generate_assignment in course_root; returns course_root/release/<name>."""
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--no-db",
               f"--CourseDirectory.root={course_root}", "--log-level=ERROR"]
    completed = subprocess.run(command, cwd=course_root, capture_output=True, text=True, check=False)
    release = course_root / "release" / name
    if completed.returncode != 0 or not release.is_dir():
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{completed.stdout}\n{completed.stderr}")
    return release


def add_student_files(release: Path) -> None:
    """README.md, requirements.txt and the pytest runner of the public checks."""
    for path in sorted(STUDENT_FILES.iterdir()):
        if path.is_file():
            shutil.copyfile(path, release / path.name)


def set_answer_key(assignment: Assignment, release: Path) -> None:
    """Ship the questions' answer key in labkit/ when the course reveals answers; make sure none ships otherwise."""
    path = release / "labkit" / ANSWER_FILE.name
    if assignment.reveal_answers:
        path.write_text(dumps_key(list(answer_key(assignment))), encoding="utf-8")
    else:  # a stray key in the source's labkit must not reach a graded course's students
        path.unlink(missing_ok=True)


def build_release(assignment: Assignment, destination: Path, source_notebook: str) -> None:
    """Generate the release of `assignment`, with the source notebook text `source_notebook`, into `destination`."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        course_root = Path(tmp)
        stage_course(assignment, course_root, source_notebook)
        release = run_generate_assignment(course_root, assignment.name)
        add_student_files(release)
        set_answer_key(assignment, release)
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(release, destination, ignore=shutil.ignore_patterns(*IGNORED))


SAMPLES_FOLDER = "submissions"


def build_all(assignment: Assignment) -> None:
    """Rebuild the source notebook, then the student release in its committed place, then the samples."""
    build_release(assignment, assignment.release, write_source_notebook(assignment).read_text())
    write_samples(assignment.source / SAMPLES_FOLDER, assignment_samples(assignment))


def _tree(folder: Path) -> dict[str, Path]:
    """{relative path: path} of every file under folder, skipping caches."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(relative.match(p) or p in relative.parts for p in IGNORED):
            files[relative.as_posix()] = path
    return files


def _display(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def release_is_current(assignment: Assignment) -> list[str]:
    """Files that a rebuild would change (missing, extra or different); empty when everything is current."""
    stale = []
    source_notebook = build_source_notebook(assignment)
    if not assignment.source_notebook.is_file() or assignment.source_notebook.read_text() != source_notebook:
        stale.append(_display(assignment.source_notebook))
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        fresh_folder = Path(tmp) / assignment.name
        build_release(assignment, fresh_folder, source_notebook)
        fresh = _tree(fresh_folder)
        committed = _tree(assignment.release) if assignment.release.is_dir() else {}
        for relative in sorted(fresh.keys() | committed.keys()):
            if (relative not in fresh or relative not in committed
                    or not filecmp.cmp(fresh[relative], committed[relative], shallow=False)):
                stale.append(_display(assignment.release / relative))
    samples, expected = assignment.source / SAMPLES_FOLDER, assignment_samples(assignment)  # from the committed release
    present = {p.name for p in samples.iterdir() if p.is_file()} if samples.is_dir() else set()
    for name in sorted(expected.keys() | present):
        if name not in expected or name not in present \
                or (samples / name).read_text(encoding="utf-8") != expected[name]:
            stale.append(_display(samples / name))
    return stale
