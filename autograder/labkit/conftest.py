"""How `pytest labkit` reports the public checks: one line per check, PASS / FAIL / TODO.

TODO is pytest's "skipped" (an exercise not attempted yet), so the totals read "3 passed, 1 failed, 16 skipped".
A failure shows the check's feedback only (test_public_checks.py fails with pytrace=False).
"""

import pytest

WORDS = {"passed": "PASS", "failed": "FAIL", "skipped": "TODO"}


def pytest_configure(config: pytest.Config) -> None:
    config.option.verbose = max(config.option.verbose, 1)  # one line per check, with its id


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    if report.when == "call" or (report.when == "setup" and report.skipped):
        return report.outcome, {"passed": ".", "failed": "F", "skipped": "T"}[report.outcome], WORDS[report.outcome]
    return None
