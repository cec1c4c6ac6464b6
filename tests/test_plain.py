"""The plain-data channel: what it carries faithfully and what it refuses."""

import numpy as np
import pytest

from autograder.labkit.plain import ChannelError, InvalidReturn, dumps, loads, to_plain


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


@pytest.mark.parametrize("text", ['{"__array__": ["object", [1], "AA=="]}', '{"__array__": ["float64", [2], "AA=="]}',
                                  "not json", '{"__array__": ["float64", [-1], ""]}', "[" * 100 + "]" * 100,
                                  '{"loaded": ' + "9" * 5000 + "}"])
def test_loads_refuses_malformed_or_forbidden_text(text: str) -> None:
    with pytest.raises(ChannelError):
        loads(text)
