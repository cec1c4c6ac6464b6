"""The plain-data channel: what it carries faithfully and what it refuses."""

import numpy as np
import pytest

from autograder.labkit.plain import (
    MAX_DEPTH,
    ChannelError,
    InvalidReturn,
    dumps,
    loads,
    messages,
    raw_size,
    to_plain,
)


def test_round_trip_keeps_values_dtypes_and_structure() -> None:
    value = {"W1": np.arange(6, dtype=np.float64).reshape(2, 3), "flags": np.array([True, False]),
             "ints": np.array([[1], [2]], dtype=np.int32), "costs": [0.5, float("inf")], "name": "x", "n": None}
    back = loads(dumps(value))
    assert back["W1"].dtype == np.float64 and np.array_equal(back["W1"], value["W1"])
    assert back["ints"].dtype == np.int32 and back["ints"].shape == (2, 1)
    assert back["flags"].tolist() == [True, False]
    assert back["costs"] == [0.5, float("inf")] and back["name"] == "x" and back["n"] is None


def test_lying_subclass_becomes_a_plain_array_of_its_real_memory() -> None:
    class Liar(np.ndarray):
        def __eq__(self, other):  # claims to equal anything
            return True

        def tolist(self):
            return [[35.0]] * 3

    liar = np.zeros((3, 1)).view(Liar)
    plain = to_plain(liar, "array")
    assert type(plain) is np.ndarray
    assert np.array_equal(loads(dumps(plain)), np.zeros((3, 1)))


@pytest.mark.parametrize("value", [object(), "abc", {1: 2}, np.array(["a"]), np.array([object()])])
def test_objects_that_are_not_numeric_arrays_are_refused(value: object) -> None:
    with pytest.raises(InvalidReturn):
        to_plain(value, "array")


def test_always_equal_object_is_refused_for_every_kind() -> None:
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __float__(self):
            return 0.0

    for kind in ("array", "float", "params", "stats", "floats", "any"):
        with pytest.raises(InvalidReturn):
            to_plain(AlwaysEqual(), kind)


def test_tuple_kinds_check_length_and_drop_opaque_items() -> None:
    assert to_plain((np.ones((2, 1)), {"cache": object()}), ["array", "opaque"])[1] is None
    with pytest.raises(InvalidReturn, match="tuple of 2"):
        to_plain(np.ones((2, 1)), ["array", "opaque"])


MALFORMED = {
    "forbidden dtype": b'0 {"__array__":["object",[1]]}\n',
    "an array larger than the bytes": b'8 {"__array__":["float64",[2]]}\n' + bytes(8),
    "bytes no array takes": b'16 {"__array__":["float64",[1]]}\n' + bytes(16),
    "fewer bytes than announced": b'4 {"a":1}\nabc',
    "more bytes than announced": b'0 {"a":1}\nabc',
    "no size": b'{"a":1}\n',
    "a negative size": b'-1 {"a":1}\n',
    "no newline": b'0 {"a":1}',
    "not JSON": b"0 not json\n",
    "a negative dimension": b'0 {"__array__":["float64",[-1]]}\n',
    "a shape that is not a list": b'8 {"__array__":["float64",1]}\n' + bytes(8),
    "an array tag with company": b'8 {"__array__":["float64",[1]],"x":1}\n' + bytes(8),
    "nested too deeply": b"0 " + b"[" * 100 + b"]" * 100 + b"\n",
    "an int beyond Python's digit limit": b'0 {"loaded":' + b"9" * 5000 + b"}\n",
    "not UTF-8": b'0 {"a":"\xff"}\n',
}


@pytest.mark.parametrize("message", MALFORMED.values(), ids=MALFORMED.keys())
def test_loads_refuses_malformed_or_forbidden_messages(message: bytes) -> None:
    with pytest.raises(ChannelError):
        loads(message)


def test_arrays_travel_as_their_raw_bytes() -> None:
    weights = np.random.default_rng(0).standard_normal((100, 100))
    message = dumps({"W1": weights, "shape": [100, 100]})
    assert weights.nbytes < len(message) < weights.nbytes + 100  # no base64, no text per number
    assert message.endswith(weights.tobytes())
    assert raw_size(message[:message.index(b"\n")]) == weights.nbytes


def test_arrays_of_the_other_byte_order_arrive_as_the_same_numbers() -> None:
    swapped = np.array([1.5, -2.0, 1e300], dtype=">f8" if np.little_endian else "<f8")
    assert loads(dumps(to_plain(swapped, "array"))).tolist() == [1.5, -2.0, 1e300]
    assert loads(dumps({"W": swapped}))["W"].tolist() == [1.5, -2.0, 1e300]


def test_decoded_arrays_are_writable_and_independent() -> None:
    back = loads(dumps([np.zeros(3), np.zeros(3)]))
    back[0][:] = 1.0
    assert back[1].tolist() == [0.0, 0.0, 0.0] and type(back[0]) is np.ndarray


def test_a_stream_of_messages_is_cut_back_into_them() -> None:
    values = [{"a": np.arange(5)}, [], {"b": [np.ones((2, 2)), "text\nwith a newline"]}, np.zeros((0, 4))]
    cut = messages(b"".join(dumps(v) for v in values))
    assert [dumps(loads(m)) for m in cut] == [dumps(v) for v in values]


def test_a_stream_cut_short_is_refused_whole() -> None:
    stream = dumps({"a": 1}) + dumps(np.zeros(3))
    for cut in (stream[:-1], stream[:-24], stream + b"0 {}"):
        with pytest.raises(ChannelError, match="cut short"):
            messages(cut)


def test_zero_dimensional_arrays_keep_their_shape() -> None:  # found in review: np.ascontiguousarray made them 1-d
    assert loads(dumps(np.array(2.5))).shape == ()


def test_arrays_after_an_odd_sized_one_arrive_aligned() -> None:  # found in review: raw bytes packed back to back
    back = loads(dumps([np.array([True, False, True]), np.arange(4.0)]))
    assert back[1].flags.aligned and back[1].tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(("value", "kind"), [({"__array__": 1}, "any"), ({"__array__": np.zeros(2)}, "params"),
                                             ([{"__array__": 1.0}], "stats"), ([({"__array__": 1},)], "tuples")])
def test_the_array_tag_is_refused_as_a_key_of_a_returned_dict(value: object, kind: str) -> None:
    # Found in review: {"__array__": ...} returned by a student came back from the channel as an array.
    with pytest.raises(InvalidReturn, match="reserves"):
        to_plain(value, kind)


def test_the_deepest_value_to_plain_accepts_crosses_inside_its_message() -> None:
    deepest: object = 1.0
    for _ in range(MAX_DEPTH):
        deepest = [deepest]
    message = {"plan": 0, "observation": {"values": {"r": [to_plain(deepest, "any")]}, "failure": None}}
    assert loads(dumps(message)) == message
