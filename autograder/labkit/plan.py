"""Probe plans: which student functions a check calls, with which inputs, as plain data.

A check's probe is not code that runs beside the student's: it is a *plan*, a list of steps written as
plain data, which `execute` interprets. The same plan runs in-process (notebook, pytest) or in a sandboxed
child (the grader sends it over a pipe). So nothing secret has to be readable where student code runs:
the child sees the inputs and which functions are called, never the verdict or the expected values.

Steps (build them with the constructors below):
- `call(id, function, *args, returns=KIND, **kwargs)`: call a student function; send back its return
  converted to plain data of KIND (see plain.KINDS). `report_args=True` also sends the array arguments
  back as they are after the call, so the verdict can tell whether the function changed its inputs.
- `numerical_gradient(id, params, X, Y, activation, epsilon)`: centred differences of the student's own
  compute_cost(forward(X, params, activation)[0], Y), a dict "dW1", "db1", ... of arrays.
- `patch(function, key, factor)`: from now on, the student's `function` (which returns a dict) has its
  entry `key` (every entry, if key is None) multiplied by `factor`: a deliberately broken backward for
  judging gradient_check.
Arguments may be plain data, `ref(step_id)` / `ref(step_id, index)` for an earlier step's return value
(a plain copy by default; the original object with plain=False, for caches), or `rng(seed)` for a fresh
`np.random.default_rng(seed)`.
"""

import time
import traceback
from collections.abc import MutableMapping
from typing import Any

import numpy as np

from .plain import InvalidReturn, describe_type, to_plain

Step = dict[str, Any]
Namespace = MutableMapping[str, Any]

# Failure kinds, in the words feedback uses.
NOT_ATTEMPTED = "not_attempted"  # stub still raises NotImplementedError
MISSING = "missing"              # the function is not defined at all
ERROR = "error"                  # it raised something else
INVALID = "invalid"              # it returned the wrong type or structure


def call(step_id: str, function: str, *args: Any, returns: str | list = "any",
         report_args: bool = False, **kwargs: Any) -> Step:
    """A step that calls student `function(*args, **kwargs)`; see the module docstring."""
    return {"op": "call", "id": step_id, "function": function, "args": list(args), "kwargs": kwargs,
            "returns": returns, "report_args": report_args}


def numerical_gradient(step_id: str, params: Any, X: Any, Y: Any, activation: str, epsilon: float) -> Step:
    """A step that differentiates the student's forward + compute_cost numerically."""
    return {"op": "numerical_gradient", "id": step_id, "params": params, "X": X, "Y": Y,
            "activation": activation, "epsilon": epsilon}


def patch(function: str, key: str | None, factor: float) -> Step:
    """A step that scales entry `key` (None: every entry) of what student `function` returns from now on."""
    return {"op": "patch", "function": function, "key": key, "factor": factor}


def ref(step_id: str, index: int | None = None, plain: bool = True) -> dict:
    """An argument: the value an earlier step returned (item `index` of it, if given).

    By default the next call gets a plain-data copy (base ndarrays, lists, dicts), so no behaviour of the
    student's objects (an ndarray subclass with its own std(), say) carries from one call into the next.
    plain=False passes the original object: only for values of the student's own design, like caches.
    """
    return {"$ref": step_id, "index": index, "plain": plain}


def rng(seed: int) -> dict:
    """An argument: a fresh numpy Generator seeded with `seed`."""
    return {"$rng": int(seed)}


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
        raise StepFailed({"kind": INVALID, "function": "", "message": str(error)}) from None


def _student_frame(error: BaseException) -> str:
    """' (line N of your code: `text`)' for the deepest frame in the student's own code, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<student")]
    if not frames:
        return ""
    frame = frames[-1]
    text = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno} of your code{text})"


def _lookup(namespace: Namespace, function: str) -> Any:
    target = namespace.get(function)
    if not callable(target):
        raise StepFailed({"kind": MISSING, "function": function,
                          "message": f"`{function}` is not defined: run its cell, or check its name"})
    return target


def _invoke(function: str, target: Any, args: list, kwargs: dict) -> Any:
    try:
        return target(*args, **kwargs)
    except NotImplementedError:
        message = f"`{function}` is not attempted yet: it still raises NotImplementedError"
        raise StepFailed({"kind": NOT_ATTEMPTED, "function": function, "message": message}) from None
    except Exception as error:  # the student's bug, reported as feedback
        message = f"`{function}` raised {type(error).__name__}: {error}"[:600] + _student_frame(error)
        raise StepFailed({"kind": ERROR, "function": function, "message": message}) from None


def _run_call(step: Step, namespace: Namespace, originals: dict[str, Any], values: dict[str, Any]) -> None:
    target = _lookup(namespace, step["function"])
    args = _resolve(step["args"], originals)
    kwargs = _resolve(step["kwargs"], originals)
    result = _invoke(step["function"], target, args, kwargs)
    originals[step["id"]] = result
    values[step["id"]] = _converted(step["function"], result, step["returns"])
    if step["report_args"]:
        values[step["id"] + ".args_after"] = {
            "args": [_plain_or_none(a) for a in args],
            "kwargs": {k: _plain_or_none(v) for k, v in kwargs.items()},
        }


def _plain_or_none(value: Any) -> Any:
    try:
        return to_plain(value, "any")
    except InvalidReturn:
        return None


def _converted(function: str, result: Any, kind: str | list) -> Any:
    """What a student function returned, as plain data of `kind`; a wrong type fails the step (INVALID)."""
    try:
        return to_plain(result, kind, f"what `{function}` returned")
    except InvalidReturn as error:
        raise StepFailed({"kind": INVALID, "function": function, "message": str(error)}) from None


def _run_numerical_gradient(step: Step, namespace: Namespace, originals: dict[str, Any],
                            values: dict[str, Any]) -> None:
    forward = _lookup(namespace, "forward")
    compute_cost = _lookup(namespace, "compute_cost")
    params = {k: np.array(v, dtype=np.float64) for k, v in _resolve(step["params"], originals).items()}
    X, Y = _resolve(step["X"], originals), _resolve(step["Y"], originals)
    eps, activation = step["epsilon"], step["activation"]

    def cost_at(p: dict) -> float:
        AL = _converted("forward", _invoke("forward", forward, [X, p], {"activation": activation}),
                        ["array", "opaque"])[0]
        return _converted("compute_cost", _invoke("compute_cost", compute_cost, [AL, Y], {}), "float")

    gradient = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + eps
            plus = cost_at(params)
            value[index] = original - eps
            minus = cost_at(params)
            value[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        gradient["d" + key] = grad
    values[step["id"]] = gradient


def _run_patch(step: Step, namespace: Namespace, restore: dict[str, Any]) -> None:
    name, key, factor = step["function"], step["key"], step["factor"]
    original = _lookup(namespace, name)
    restore.setdefault(name, original)

    def scaled(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not isinstance(result, dict) or (key is not None and key not in result):
            message = f"`{name}` should return a dict with key {key!r}; got {describe_type(result)}"
            raise StepFailed({"kind": INVALID, "function": name, "message": message})
        scaled_keys = result if key is None else [key]
        return {**result, **{k: np.asarray(result[k]) * factor for k in scaled_keys}}

    namespace[name] = scaled


def execute(plan: list[Step], namespace: Namespace) -> dict[str, Any]:
    """Run a plan against the student's namespace (their module globals).

    Returns the observation, plain data: {"values": {step_id: plain data}, "failure": None or
    {"kind", "function", "message"} for the first step that failed (later steps are skipped),
    "seconds": time spent in the plan}. Patches are undone before returning.
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
            elif step["op"] == "numerical_gradient":
                _run_numerical_gradient(step, namespace, originals, values)
            elif step["op"] == "patch":
                _run_patch(step, namespace, restore)
            else:
                raise ValueError(f"unknown plan step {step['op']!r}")
    except StepFailed as failed:
        failure = failed.failure
    finally:
        namespace.update(restore)
    return {"values": values, "failure": failure, "seconds": time.perf_counter() - start}
