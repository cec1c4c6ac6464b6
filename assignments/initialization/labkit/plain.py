"""Plain data: the only things that cross from the student's code to a verdict.

Plain data is None, bool, int, float, str, lists of plain data, dicts with str keys, and numpy arrays
of a numeric or bool dtype (always a base `np.ndarray`, never a subclass). It travels as one message:

    b"<n> <JSON text>\n" + n bytes

where each array is a {"__array__": [dtype, shape]} object in the JSON text and its raw memory is the next
piece of the n bytes, in the order the objects appear. So the channel can carry no code and no object with its
own behaviour, and megabytes of weights cross without base64 or JSON strings.

Two directions:
- `to_plain(value, kind)` (student side): turns what a student function returned into plain data of an
  expected kind, or raises `InvalidReturn` with a message a student can act on.
- `dumps` / `loads` (both sides): plain data <-> one message; `loads` is strict and is what the trusted
  side uses on everything that comes back from a child process. `raw_size` reads n from a message's first
  line, for readers of a stream of messages; `messages` cuts a whole stream.
"""

import json
import math
import numbers
from typing import Any

import numpy as np

# dtypes that may cross the channel; anything else (object, str, structured) is refused.
ARRAY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
DTYPE_NAMES = {np.dtype(name): name for name in ARRAY_DTYPES}  # dtype.name is slow: a lookup per array
ARRAY_TAG = "__array__"
MAX_DEPTH = 32  # of a value to_plain accepts
MESSAGE_LEVELS = 8  # room for what a message wraps around such a value (plan, observation, values, a record)
MAX_SIZE_DIGITS = 12  # n in a message's first line: far beyond any channel's limit

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
    if type(array) is np.ndarray and array.dtype not in DTYPE_NAMES and array.dtype.name in ARRAY_DTYPES:
        array = _native(array)
    if type(array) is not np.ndarray or array.dtype not in DTYPE_NAMES:
        raise InvalidReturn(f"{what} should be a numeric numpy array; got {describe_type(value)}")
    return array


def _unreserved(value: dict, what: str) -> dict:
    """`value`, unless a key of it is the channel's array tag (it would come back as an array)."""
    if any(str(key) == ARRAY_TAG for key in value):
        raise InvalidReturn(f"{what} has the key {ARRAY_TAG!r}, which the grader's channel reserves")
    return value


def _native(array: np.ndarray) -> np.ndarray:
    """The same numbers in this machine's byte order (the channel sends raw memory, tagged by dtype name)."""
    return array.astype(array.dtype.newbyteorder("="))


def _plain_float(value: Any, what: str) -> float:
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype in DTYPE_NAMES:
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
        for key, item in _unreserved(value, what).items():
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
            layers.append({str(k): _plain_float(v, f'{what}[{i}]["{k}"]')
                           for k, v in _unreserved(layer, f"{what}[{i}]").items()})
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
        return {k: _plain_any(v, what, depth + 1) for k, v in _unreserved(value, what).items()}
    raise InvalidReturn(f"{what} should be plain data; got {describe_type(value)}")


def dumps(value: Any) -> bytes:
    """Plain data -> one message (json's C encoder walks the value; tuples become lists)."""
    arrays: list[np.ndarray] = []

    def encode_other(item: Any) -> Any:  # what json cannot write by itself, in the order it meets it
        if isinstance(item, np.ndarray):
            array = np.require(item, requirements="C")  # (np.ascontiguousarray makes a 0-d array 1-d)
            array = array if array.dtype in DTYPE_NAMES else _native(array)
            arrays.append(array)  # (a forbidden dtype goes as its name: loads refuses it)
            return {ARRAY_TAG: [DTYPE_NAMES.get(array.dtype) or array.dtype.name, list(array.shape)]}
        if isinstance(item, (np.integer, np.floating, np.bool_)):
            return item.item()
        raise TypeError(f"not plain data: {type(item).__name__}")

    text = json.dumps(value, separators=(",", ":"), default=encode_other)
    raw = b"".join(arrays)  # each one C-contiguous: its buffer is its raw memory
    return f"{len(raw)} {text}\n".encode() + raw


def raw_size(line: bytes) -> int:
    """n, from a message's first line (without its newline). Raises ChannelError if it has none."""
    size, space, _ = line[:MAX_SIZE_DIGITS + 1].partition(b" ")
    if not space or not size.isdigit():
        raise ChannelError("a message without its size")
    return int(size)


def messages(data: bytes) -> list[bytes]:
    """The messages that follow each other in `data` (the grader's own stream). Raises ChannelError where it is
    malformed or cut short."""
    found, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start)
        following = end + 1 + raw_size(data[start:end]) if end >= 0 else len(data) + 1
        if following > len(data):
            raise ChannelError("a message cut short")
        found.append(data[start:following])
        start = following
    return found


def loads(message: bytes) -> Any:
    """One message -> plain data (trusted side). Raises ChannelError on anything else."""
    end = message.find(b"\n")
    if end < 0:
        raise ChannelError("a message without its line")
    size = raw_size(message[:end])
    if len(message) - end - 1 != size:
        raise ChannelError(f"a message announcing {size} bytes of arrays has {len(message) - end - 1}")
    arrays = _Arrays(bytearray(memoryview(message)[end + 1:]))  # one copy: writable arrays, none of them ours
    try:
        value = json.loads(message[message.index(b" ") + 1:end], object_hook=arrays.decode)
    except (ValueError, RecursionError) as error:  # ValueError also covers ints beyond Python's digit limit
        raise ChannelError(f"not JSON: {str(error)[:200]}") from None
    if arrays.offset != size:
        raise ChannelError(f"the arrays take {arrays.offset} of the message's {size} bytes")
    if type(value) in (list, dict) and not _depth_within(value, MAX_DEPTH + MESSAGE_LEVELS):
        raise ChannelError("plain data nested too deeply")
    return value


class _Arrays:
    """The arrays of one message, cut from its bytes in order as json's C decoder finishes each object."""

    def __init__(self, raw: bytearray) -> None:
        self.raw, self.offset = raw, 0

    def decode(self, value: dict) -> Any:
        """A JSON object: a tagged array becomes the array whose bytes come next; anything else stays."""
        if ARRAY_TAG not in value:
            return value
        if len(value) != 1:
            raise ChannelError("malformed array")
        try:
            dtype, shape = value[ARRAY_TAG]
            if dtype not in ARRAY_DTYPES or type(shape) is not list or not all(type(n) is int and n >= 0
                                                                               for n in shape):
                raise ChannelError(f"forbidden array dtype or shape: {dtype} {shape}")
            kind = np.dtype(dtype)
            count = math.prod(shape)
            if count * kind.itemsize > len(self.raw) - self.offset:
                raise ChannelError(f"an array of shape {shape} is larger than the message's bytes")
            array = np.frombuffer(self.raw, dtype=kind, count=count, offset=self.offset).reshape(shape)
        except (TypeError, ValueError) as error:
            raise ChannelError(f"malformed array: {error}") from None
        self.offset += count * kind.itemsize
        return array if array.flags.aligned else array.copy()  # after an odd-sized one: numpy is slower unaligned


def _depth_within(value: Any, limit: int) -> bool:
    """Is no list or dict in `value` nested deeper than `limit`? (Arrays are already leaves here.)"""
    level, containers = 0, [value]
    while containers:
        level += 1
        if level > limit:
            return False
        children = []
        for container in containers:
            items = container.values() if type(container) is dict else container
            children += [item for item in items if type(item) in (list, dict)]
        containers = children
    return True
