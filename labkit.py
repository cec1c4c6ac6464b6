"""`labkit` for a notebook that has no copy of it beside it: the installed course package's own.

A student release ships labkit/ next to the notebook, and a notebook's folder comes first on the kernel's path,
so that copy wins wherever it exists. An nbgrader course whose source/ holds only the source notebook has none:
there, `from labkit import check` finds this module (installed with the course package) and gets
autograder.labkit, the code the course's grader uses.
"""

import sys

from autograder import labkit

sys.modules[__name__] = labkit
