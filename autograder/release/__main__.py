"""`python -m autograder.release [assignment]`: rebuild the source notebook and the student release."""

import sys

from autograder.course import load_course

from .generate import build_all


def main(argv: list[str]) -> int:
    course = load_course()
    names = argv or list(course.assignments)
    for name in names:
        assignment = course.assignment(name)
        build_all(assignment)
        print(f"{name}: rebuilt {assignment.source_notebook.name} and {assignment.release}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
