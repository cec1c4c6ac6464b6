"""Release pipeline: lesson source + reference -> nbgrader source notebook -> student release.

`python -m autograder.release` rebuilds everything for the course's assignment; `build_all` and
`release_is_current` are the functions behind it and behind the tests that hold the committed files current.
"""

from .generate import build_all, release_is_current

__all__ = ["build_all", "release_is_current"]
