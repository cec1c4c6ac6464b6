"""Plain data: the only things that cross from the student's code to a verdict.

Plain data is None, bool, int, float, str, lists of plain data, dicts with str keys, and numpy arrays
of a numeric or bool dtype (always a base `np.ndarray`, never a subclass). It travels as JSON text,
arrays as raw bytes in base64, so the channel can carry no code and no object with its own behaviour.

Two directions:
- `to_plain(value, kind)` (student side): turns what a student function returned into plain data of an
  expected kind, or raises `InvalidReturn` with a message a student can act on.
- `dumps` / `loads` (both sides): JSON text <-> plain data; `loads` is strict and is what the trusted
  side uses on everything that comes back from a child process.
"""

import base64
import json
import numbers
from typing import Any

import numpy as np

# dtypes that may cross the channel; anything else (object, str, structured) is refused.
ARRAY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
ARRAY_TAG = "__array__"
MAX_DEPTH = 32

# The kinds a probe can ask a returned value to be.
KINDS = ("array", "float", "int", "str", "params", "stats", "floats", "tuples", "any", "opaque")


class InvalidReturn(Exception):
    """A student function returned something of the wrong type or structure."""


class ChannelError(Exception):
    """Text on the channel is not plain data (malformed, too deep, or a forbidden type)."""


def describe_type(value: Any) -> str:
    """A short, student-readable name of value's type and shape."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))[:8]}"
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def _plain_array(value: Any, what: str) -> np.ndarray:
    # Copy the raw memory into a fresh base ndarray: no subclass, no __array__ tricks survive.
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)
    elif isinstance(value, (numbers.Real, list, tuple)) and not isinstance(value, bool):
        array = np.array(value, subok=False)
    else:
        raise InvalidReturn(f"{what} should be a numpy array; got {describe_type(value)}")
    if type(array) is not np.ndarray or array.dtype.name not in ARRAY_DTYPES:
        raise InvalidReturn(f"{what} should be a numeric numpy array; got {describe_type(value)}")
    return array


def _plain_float(value: Any, what: str) -> float:
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.name in ARRAY_DTYPES:
        return float(np.array(value, subok=False).reshape(()))
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise InvalidReturn(f"{what} should be a Python float; got {describe_type(value)}")


def to_plain(value: Any, kind: str | list, what: str = "the result") -> Any:
    """Convert a student's returned value to plain data of the given kind (student side).

    kind is one of KINDS, or a list of kinds for a tuple of that length (e.g. ["array", "opaque"]
    for a function returning (array, anything)). "opaque" values stay in the student's process: they become None.
    """
    if isinstance(kind, list):
        if not isinstance(value, (tuple, list)) or len(value) != len(kind):
            raise InvalidReturn(f"{what} should be a tuple of {len(kind)} items; got {describe_type(value)}")
        return [to_plain(item, k, f"item {i} of {what}") for i, (item, k) in enumerate(zip(value, kind, strict=True))]
    if kind == "opaque":
        return None
    if kind == "array":
        return _plain_array(value, what)
    if kind == "float":
        return _plain_float(value, what)
    if kind == "int":
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        raise InvalidReturn(f"{what} should be an int; got {describe_type(value)}")
    if kind == "str":
        if isinstance(value, str):
            return str(value)
        raise InvalidReturn(f"{what} should be a str; got {describe_type(value)}")
    if kind == "params":
        if not isinstance(value, dict):
            raise InvalidReturn(f"{what} should be a dict of arrays; got {describe_type(value)}")
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidReturn(f"{what} should have str keys like 'W1'; got key {key!r}")
            plain[str(key)] = _plain_array(item, f'{what}["{key}"]')
        return plain
    if kind == "floats":
        if not isinstance(value, (list, tuple, np.ndarray)):
            raise InvalidReturn(f"{what} should be a list of floats; got {describe_type(value)}")
        return [_plain_float(item, f"{what}[{i}]") for i, item in enumerate(value)]
    if kind == "stats":
        if not isinstance(value, (list, tuple)):
            raise InvalidReturn(f"{what} should be a list of dicts, one per hidden layer; got {describe_type(value)}")
        layers = []
        for i, layer in enumerate(value):
            if not isinstance(layer, dict):
                raise InvalidReturn(f"{what}[{i}] should be a dict; got {describe_type(layer)}")
            layers.append({str(k): _plain_float(v, f'{what}[{i}]["{k}"]') for k, v in layer.items()})
        return layers
    if kind == "tuples":
        return _plain_tuples(value, what)
    if kind == "any":
        return _plain_any(value, what, 0)
    raise ValueError(f"unknown kind {kind!r}")


def _plain_tuples(value: Any, what: str) -> list[list]:
    """A list of tuples (namedtuples too) of plain data, e.g. one record per layer: [[item, ...], ...]."""
    if not isinstance(value, (list, tuple)):
        raise InvalidReturn(f"{what} should be a list of tuples; got {describe_type(value)}")
    records = []
    for i, record in enumerate(value):
        if not isinstance(record, tuple):
            raise InvalidReturn(f"{what}[{i}] should be a tuple; got {describe_type(record)}")
        records.append([_plain_any(item, f"{what}[{i}]", 1) for item in record])
    return records


def _plain_any(value: Any, what: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidReturn(f"{what} is nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return _plain_array(value, what)
    if type(value) in (list, tuple):
        return [_plain_any(item, what, depth + 1) for item in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: _plain_any(v, what, depth + 1) for k, v in value.items()}
    raise InvalidReturn(f"{what} should be plain data; got {describe_type(value)}")


def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return {ARRAY_TAG: [array.dtype.name, list(array.shape), base64.b64encode(array.tobytes()).decode()]}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return value


def dumps(value: Any) -> str:
    """Plain data -> one line of JSON text."""
    return json.dumps(_encode(value), separators=(",", ":"))


def _decode(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ChannelError("plain data nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [_decode(item, depth + 1) for item in value]
    if type(value) is dict:
        if ARRAY_TAG in value:
            return _decode_array(value)
        return {k: _decode(v, depth + 1) for k, v in value.items()}
    raise ChannelError(f"not plain data: {type(value).__name__}")


def _decode_array(tagged: dict) -> np.ndarray:
    if len(tagged) != 1:
        raise ChannelError("malformed array")
    try:
        dtype, shape, data = tagged[ARRAY_TAG]
        if dtype not in ARRAY_DTYPES or not all(type(n) is int and n >= 0 for n in shape):
            raise ChannelError(f"forbidden array dtype or shape: {dtype} {shape}")
        raw = base64.b64decode(data.encode(), validate=True)
        return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
    except (TypeError, ValueError, AttributeError) as error:
        raise ChannelError(f"malformed array: {error}") from None


def loads(text: str) -> Any:
    """JSON text -> plain data (trusted side). Raises ChannelError on anything else."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as error:  # ValueError also covers ints beyond Python's digit limit
        raise ChannelError(f"not JSON: {str(error)[:200]}") from None
    return _decode(raw, 0)
