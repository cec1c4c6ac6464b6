"""Wall-clock timing shared by the benchmarks: an action's seconds, over one run or several."""

import statistics
import time
from collections.abc import Callable


def seconds(action: Callable[[], object]) -> float:
    """Wall seconds of one run of `action`."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """The median over `runs` runs: what a figure quotes."""
    return statistics.median(seconds(action) for _ in range(runs))


def best_seconds(action: Callable[[], object], runs: int = 3) -> float:
    """The fastest of `runs` runs: for a cost that noise only ever adds to (a scan's time in its input's size)."""
    return min(seconds(action) for _ in range(runs))
