"""Command line: `autograder check`, `autograder grade`, `autograder export`, `autograder release`. Nothing else
lives here."""

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .course import COURSE_FILE, CourseError, load_course

if TYPE_CHECKING:
    from .labkit.framework import Check, Result


def _check(args: argparse.Namespace) -> int:
    """Public checks, in this process, on one submission: a table, exit 0 only when all pass."""
    from .checks import public_checks
    from .labkit.inprocess import format_result, format_table, run_checks, without_repeats
    from .labkit.notebook import NotebookError, load_functions

    checks = public_checks(load_course(args.course).assignment(args.assignment))
    _make_labkit_importable()
    try:
        namespace = load_functions(args.submission)
    except (OSError, NotebookError, SyntaxError) as error:
        print(f"cannot load {args.submission}: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the submission's own top-level code failed
        print(f"{args.submission}: running your code raised {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    results = run_checks(checks, namespace)
    print(format_table(results))
    failures = [r for r in results if not r.passed]
    if failures and args.verbose:
        texts = without_repeats(failures)
        print()
        print("\n".join(format_result(r, texts[r.check_id]) for r in failures))
    if args.hint:
        print()
        print(_hint(checks, results, args))
    return 0 if not failures else 1


def _hint(checks: list["Check"], results: list["Result"], args: argparse.Namespace) -> str:
    """The --hint text: for the first public check (of --function, when given) that did not pass."""
    from .labkit.hints import hint_text

    failing = next(((c, r) for c, r in zip(checks, results, strict=True)
                    if not r.passed and args.function in (None, c.function)), None)
    if failing is None:
        return f"every public check{f' of {args.function}' if args.function else ''} passes: no hint needed"
    again = f"For the next hint: --hint {args.hint + 1}" + (f" --function {args.function}" if args.function else "")
    return hint_text(*failing, args.hint, again)


def _make_labkit_importable() -> None:
    """Student code says `from labkit import ...` (labkit sits beside the notebook in the release)."""
    from . import labkit

    sys.modules.setdefault("labkit", labkit)


def _grade(args: argparse.Namespace) -> int:
    """Sandboxed grading: one submission as JSON on stdout, or a batch into --out."""
    course = load_course(args.course)
    if args.execute_notebooks:
        course = dataclasses.replace(course, grading=dataclasses.replace(course.grading, execute_notebooks=True))
    if args.json:  # what a student waits on: imports only what one submission needs (no pool, no reports)
        from .grading import grade_submission
        from .reports.results_json import results_json
        from .submission import load_submissions

        submissions = load_submissions(args.paths, course.assignment(args.assignment).name, course)
        if len(submissions) != 1:
            print(f"--json grades exactly one submission; found {len(submissions)}", file=sys.stderr)
            return 2
        graded = grade_submission(submissions[0], course.assignment(args.assignment).name, course)
        print(json.dumps(results_json(graded, course.grading.hidden_visibility), indent=2))
        return 0
    if args.out is None:
        print("name an output folder with --out (or use --json for one submission)", file=sys.stderr)
        return 2
    from .bulk import grade_batch
    from .fingerprint import GraderMismatchError
    from .policies import PolicyError

    try:
        graded = grade_batch(args.paths, args.out, course, course.assignment(args.assignment).name,
                             args.jobs or course.grading.jobs, hidden_visibility=course.grading.hidden_visibility,
                             force=args.force, scheduler=args.scheduler)
    except PolicyError as error:  # overrides.csv, read when the gradebook is written: every grade is journaled
        print(f"overrides: {error}; fix it and run again (nothing is graded twice)", file=sys.stderr)
        return 2
    except GraderMismatchError as error:  # a Dask worker with other grading code: what it graded is not kept
        print(f"cannot grade on this cluster: {error}", file=sys.stderr)
        return 2
    print(f"graded {len(graded)} submissions -> {args.out}/gradebook.csv, {args.out}/summary.html", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    """A grading output folder's gradebook as a file the LMS imports (exports.py documents each format)."""
    from .exports import GRADEBOOK, export

    if not (args.folder / GRADEBOOK).is_file():
        print(f"{args.folder} holds no {GRADEBOOK}: grade into it first (autograder grade ... --out)", file=sys.stderr)
        return 2
    try:
        made = export(args.lms, args.folder, load_course(args.course).assignment(args.assignment).title,
                      args.roster, args.column)
    except (OSError, ValueError) as error:
        print(f"cannot export: {error}", file=sys.stderr)
        return 2
    for warning in made.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = args.out or args.folder / f"{args.lms}.csv"
    out.write_text(made.text(), encoding="utf-8", newline="")
    print(f"wrote {out} ({len(made.rows) - 1} rows)", file=sys.stderr)
    return 0


def _release(args: argparse.Namespace) -> int:
    """Rebuild the source notebook and the student release, or (--check) report whether they are current."""
    from .release import build_all, release_is_current

    assignment = load_course(args.course).assignment(args.assignment)
    if args.check:
        stale = release_is_current(assignment)
        for path in stale:
            print(f"out of date: {path}")
        return 1 if stale else 0
    build_all(assignment)
    print(f"rebuilt {assignment.source_notebook} and {assignment.release}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument("--course", type=Path, default=COURSE_FILE, help="course.toml (default: the repository's)")
    parser.add_argument("--assignment", default=None, help="assignment name (default: the only one)")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="run the public checks on your own notebook or .py (in-process)")
    check.add_argument("submission", type=Path)
    check.add_argument("-v", "--verbose", action="store_true", help="print the feedback of every failed check")
    check.add_argument("--hint", type=int, nargs="?", const=1, default=0, metavar="LEVEL",
                       help="a hint for the first check that does not pass: 1 (the default) a nudge, 2 the rule")
    check.add_argument("--function", default=None, help="with --hint: the first failing check of this function")
    check.set_defaults(run=_check)

    grade = commands.add_parser("grade", help="grade submissions in sandboxed processes (public and hidden checks)")
    grade.add_argument("paths", nargs="+", type=Path, help=".ipynb, .py, folders or .zip archives of many")
    grade.add_argument("--out", type=Path, help="output folder: gradebook, feedback, results.json, summary")
    grade.add_argument("--jobs", type=int, default=None, help="parallel workers (default: course.toml)")
    grade.add_argument("--json", action="store_true", help="print one submission's results.json to stdout")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on a Dask cluster: its scheduler (tcp://HOST:8786), or local[:N] to start N workers "
                            "here (see the README)")
    grade.add_argument("--force", action="store_true",
                       help="grade again what the journal in --out already holds under the same checks and settings")
    grade.add_argument("--execute-notebooks", action="store_true",
                       help="run every code cell of a notebook (IPython, in the sandbox) before the checks")
    grade.set_defaults(run=_grade)

    export = commands.add_parser("export", help="turn a grading output folder into a gradebook an LMS imports")
    export.add_argument("lms", choices=["canvas", "moodle", "csv"])
    export.add_argument("folder", type=Path, help="the output folder of `grade` (its gradebook.csv)")
    export.add_argument("--out", type=Path, help="the file to write (default: FOLDER/<lms>.csv)")
    export.add_argument("--roster", type=Path, help="the LMS's own export to fill in: Canvas's gradebook export "
                        "or Moodle's grading worksheet (matches students by the LMS's ids, keeps its columns)")
    export.add_argument("--column", help="Canvas: the assignment column, e.g. 'Initialization (1234)'")
    export.set_defaults(run=_export)

    release = commands.add_parser("release", help="rebuild the source notebook and the student release")
    release.add_argument("--check", action="store_true", help="only report whether the committed release is current")
    release.set_defaults(run=_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as error:  # e.g. several assignments and none chosen: say which exist, no traceback
        print(f"autograder: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
