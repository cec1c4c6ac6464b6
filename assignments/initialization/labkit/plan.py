"""Probe plans: which student functions a check calls, with which inputs, as plain data.

A check's probe is not code that runs beside the student's: it is a *plan*, a list of steps written as
plain data, which `execute` interprets. The same plan runs in-process (notebook, pytest) or in a sandboxed
child (the grader sends it over a pipe). So nothing secret has to be readable where student code runs:
the child sees the inputs and which functions are called, never the verdict or the expected values.
What comes back is only what the student's functions returned: every derived quantity (a numerical
gradient, a norm, "the inputs are unchanged") is computed by the verdict, on the trusted side.

Steps (build them with the constructors below):
- `call(id, function, *args, returns=KIND, **kwargs)`: call a student function; send back its return
  converted to plain data of KIND (see plain.KINDS). `again=True` calls it a second time with the very
  same argument objects and sends that return too (as "<id>#2"): if the first call changed its inputs,
  the two differ, which the verdict sees without trusting anything but the returns. `uses` names the
  other student functions the call is known to reach (for an integration check), so the runner can skip
  it after one of them hung. `keep` names the only items of a returned dict that travel back (those present),
  where the verdict needs a few of many large arrays.
- `fake(model, spec)`: from now on, the collaborators of the function under test are the fakes of
  `model` (the assignment's fakes.py, beside this module), built from the plain-data `spec`; the student's
  own are restored afterwards.
Arguments may be plain data, `ref(step_id)` / `ref(step_id, index)` for an earlier step's return value
(a plain copy by default; the original object with plain=False), `rng(seed)` for a fresh
`np.random.default_rng(seed)`, `tuples(items)` for a list whose items become tuples (e.g. per-layer records), or
`normal(seed, shape, std)` for a large array of normal draws, drawn where the plan runs.
"""

import time
import traceback
from collections.abc import MutableMapping
from enum import Enum
from typing import Any, Literal, TypedDict

import numpy as np

from .plain import InvalidReturn, to_plain


class CallStep(TypedDict):
    """Call a student function (see `call`)."""

    op: Literal["call"]
    id: str
    function: str
    args: list
    kwargs: dict[str, Any]
    returns: str | list
    again: bool
    uses: list[str]
    keep: list[str]


class FakeStep(TypedDict):
    """Replace the function under test's collaborators by fakes (see `fake`)."""

    op: Literal["fake"]
    model: str
    spec: dict[str, Any]


Step = CallStep | FakeStep  # plain data: it travels as JSON to wherever the student's code runs
Namespace = MutableMapping[str, Any]

AGAIN = "#2"  # suffix of the value of a call made a second time (again=True)


class PlainEnum(str, Enum):
    """An enum whose members are their plain string values wherever they go: equal to the string, and the same
    text from str(), f-strings, format() and json.dumps on every Python (3.11 and 3.12 changed how format() and
    str() show a str-mixin enum). Values read back from JSON are plain strings: turn them into members with
    `Class(value)`."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Status(PlainEnum):
    """The outcome of one check. PASSED and FAILED come from verdicts; NOT_ATTEMPTED to INVALID are the failure
    kinds of a plan's step (a failed step's "kind"), in the words feedback uses; TIMEOUT and CRASHED from the
    runner."""

    PASSED = "passed"                # the verdict gave the check full marks
    FAILED = "failed"                # the verdict found it wrong (partly, maybe)
    NOT_ATTEMPTED = "not_attempted"  # stub still raises NotImplementedError
    INCOMPLETE = "incomplete"        # it calls a helper of the student's that is still a stub
    MISSING = "missing"              # the function is not defined at all
    ERROR = "error"                  # it raised something else
    INVALID = "invalid"              # it returned the wrong type or structure
    TIMEOUT = "timeout"              # it ran out of time (its own limit, or the submission's)
    CRASHED = "crashed"              # the process running it died (out of memory, exit, signal) or misbehaved


def call(step_id: str, function: str, *args: Any, returns: str | list = "any", again: bool = False,
         uses: tuple[str, ...] = (), keep: tuple[str, ...] = (), **kwargs: Any) -> CallStep:
    """A step that calls student `function(*args, **kwargs)`; see the module docstring."""
    return {"op": "call", "id": step_id, "function": function, "args": list(args), "kwargs": kwargs,
            "returns": returns, "again": again, "uses": list(uses), "keep": list(keep)}


def fake(model: str, spec: dict[str, Any]) -> FakeStep:
    """A step that replaces the collaborators of the function under test by the fakes of `model`."""
    return {"op": "fake", "model": model, "spec": spec}


def ref(step_id: str, index: int | None = None, plain: bool = True) -> dict:
    """An argument: the value an earlier step returned (item `index` of it, if given).

    By default the next call gets a plain-data copy (base ndarrays, lists, dicts), so no behaviour of the
    student's objects (an ndarray subclass with its own std(), say) carries from one call into the next.
    plain=False passes the original object: only for values of the student's own design.
    """
    return {"$ref": step_id, "index": index, "plain": plain}


def rng(seed: int) -> dict:
    """An argument: a fresh numpy Generator seeded with `seed`."""
    return {"$rng": int(seed)}


def normal(seed: int, shape: tuple[int, ...], std: float) -> dict:
    """An argument: `std` times standard normal draws of `shape`, from `np.random.default_rng(seed)` where the plan
    runs. For large random inputs whose values only matter through their distribution (e.g. the weights of a
    statistical experiment): the seed travels instead of megabytes, and the trusted side, running the same plan,
    draws the same values. Code that tampers with numpy's generators there only changes its own inputs."""
    return {"$normal": {"seed": int(seed), "shape": [int(n) for n in shape], "std": float(std)}}


def drawn(argument: dict) -> np.ndarray:
    """The array a `normal(...)` argument stands for (what the plan draws, for the trusted side to use too)."""
    draw = argument["$normal"]
    values = np.random.default_rng(draw["seed"]).standard_normal(tuple(draw["shape"]))
    values *= draw["std"]  # in place: the same numbers as std * values, without a second array to fault in
    return values


def tuples(items: list) -> dict:
    """An argument: `items` with every item turned into a tuple (e.g. one record per layer)."""
    return {"$tuples": items}


class FakeMisuse(Exception):
    """The function under test called a fake collaborator in a way the contract does not allow (the message
    says how, for the student). Raised by the assignment's fakes (its kit's fakes.py)."""


class StepFailed(Exception):
    """A step could not produce its value; `failure` says why in plain data."""

    def __init__(self, failure: dict[str, str]) -> None:
        super().__init__(failure["message"])
        self.failure = failure


def _resolve(value: Any, originals: dict[str, Any]) -> Any:
    """Turn markers into live values; copy arrays so the student never holds our inputs."""
    if isinstance(value, dict):
        if "$ref" in value:
            original = originals[value["$ref"]]
            original = original if value["index"] is None else original[value["index"]]
            return _plain_copy(original) if value.get("plain") else original
        if "$rng" in value:
            return np.random.default_rng(value["$rng"])
        if "$normal" in value:
            return drawn(value)
        if "$tuples" in value:
            return [tuple(_resolve(item, originals)) for item in value["$tuples"]]
        return {k: _resolve(v, originals) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, originals) for v in value]
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _plain_copy(value: Any) -> Any:
    try:
        return to_plain(value, "any", "a value passed from one call to the next")
    except InvalidReturn as error:
        raise StepFailed({"kind": Status.INVALID, "function": "", "message": str(error)}) from None


def _student_frames(error: BaseException) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<student")]


def _student_frame(error: BaseException) -> str:
    """' (line N of your code: `text`)' for the deepest frame in the student's own code, if any."""
    frames = _student_frames(error)
    if not frames:
        return ""
    frame = frames[-1]
    text = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno} of your code{text})"


def _lookup(namespace: Namespace, function: str) -> Any:
    target = namespace.get(function)
    if not callable(target):
        raise StepFailed({"kind": Status.MISSING, "function": function,
                          "message": f"`{function}` is not defined: run its cell, or check its name"})
    return target


def _not_attempted(function: str, error: NotImplementedError) -> StepFailed:
    """The stub is `function` itself, or a function of the student's that it calls (named, so it is fixed there)."""
    frames = _student_frames(error)
    stub = frames[-1].name if frames else function
    if stub in (function, "<module>"):
        message = f"`{function}` is not attempted yet: it still raises NotImplementedError"
        return StepFailed({"kind": Status.NOT_ATTEMPTED, "function": function, "message": message})
    message = f"`{function}` calls `{stub}`, which is not attempted yet (it still raises NotImplementedError)"
    return StepFailed({"kind": Status.INCOMPLETE, "function": function, "message": message})


def _invoke(function: str, target: Any, args: list, kwargs: dict) -> Any:
    try:
        return target(*args, **kwargs)
    except NotImplementedError as error:
        raise _not_attempted(function, error) from None
    except FakeMisuse as misuse:  # the function called a fake collaborator the wrong way
        raise StepFailed({"kind": Status.ERROR, "function": function, "message": str(misuse)}) from None
    except Exception as error:  # the student's bug, reported as feedback
        message = f"`{function}` raised {type(error).__name__}: {error}"[:600] + _student_frame(error)
        raise StepFailed({"kind": Status.ERROR, "function": function, "message": message}) from None


def _run_call(step: CallStep, namespace: Namespace, originals: dict[str, Any], values: dict[str, Any]) -> None:
    target = _lookup(namespace, step["function"])
    args = _resolve(step["args"], originals)
    kwargs = _resolve(step["kwargs"], originals)
    result = _invoke(step["function"], target, args, kwargs)
    originals[step["id"]] = result
    values[step["id"]] = _converted(step["function"], _kept(result, step["keep"]), step["returns"])
    if step.get("again"):
        # Same objects again: only a function that changed them (or is not deterministic) answers differently.
        again = _invoke(step["function"], target, args, kwargs)
        values[step["id"] + AGAIN] = _converted(step["function"], _kept(again, step["keep"]), step["returns"])


def _kept(result: Any, keep: list[str]) -> Any:
    """Only the `keep` items of a returned dict (those it has); anything else as it is."""
    if not keep or not isinstance(result, dict):
        return result
    return {key: result[key] for key in keep if key in result}


def _converted(function: str, result: Any, kind: str | list) -> Any:
    """What a student function returned, as plain data of `kind`; a wrong type fails the step (Status.INVALID)."""
    try:
        return to_plain(result, kind, f"what `{function}` returned")
    except InvalidReturn as error:
        raise StepFailed({"kind": Status.INVALID, "function": function, "message": str(error)}) from None


_ABSENT = object()


def execute(plan: list[Step], namespace: Namespace) -> dict[str, Any]:
    """Run a plan against the student's namespace (their module globals).

    Returns the observation, plain data: {"values": {step_id: plain data}, "failure": None or
    {"kind", "function", "message"} for the first step that failed (later steps are skipped),
    "seconds": time spent in the plan}. Fakes are removed again before returning.
    """
    values: dict[str, Any] = {}
    originals: dict[str, Any] = {}
    restore: dict[str, Any] = {}
    failure = None
    start = time.perf_counter()
    try:
        for step in plan:
            if step["op"] == "call":
                _run_call(step, namespace, originals, values)
            elif step["op"] == "fake":
                from . import fakes  # the assignment's, beside this module in its labkit

                for name, function in fakes.build(step["model"], step["spec"]).items():
                    restore.setdefault(name, namespace.get(name, _ABSENT))
                    namespace[name] = function
            else:
                raise ValueError(f"unknown plan step {step['op']!r}")
    except StepFailed as failed:
        failure = failed.failure
    finally:
        for name, original in restore.items():
            if original is _ABSENT:
                namespace.pop(name, None)
            else:
                namespace[name] = original
    return {"values": values, "failure": failure, "seconds": time.perf_counter() - start}
