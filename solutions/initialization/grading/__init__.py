"""The trusted side of the initialization assignment (never shipped): what autograder/plugin.py asks of it.

hidden_checks(solution) -- the hidden checks, judged against that reference solution
CATALOGUE              -- the misconceptions, as mutants of the reference (diagnosis, tests, samples)
SAMPLES, HELPER_CELL   -- the bundled sample submissions, as changes to the reference
QUESTIONS              -- the conceptual questions' answer key
"""

from .hidden import hidden_checks
from .misconceptions import CATALOGUE
from .questions import QUESTIONS
from .samples import HELPER_CELL, SAMPLES

__all__ = ["CATALOGUE", "HELPER_CELL", "QUESTIONS", "SAMPLES", "hidden_checks"]
