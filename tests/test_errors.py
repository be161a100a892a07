"""The error hierarchy formats problems as FILE:LINE:COL: what; expected."""

from __future__ import annotations

from stackrift.errors import (
    InputError,
    InvalidInputError,
    Location,
    Problem,
    StackRiftError,
    combine,
)


def test_location_formats() -> None:
    assert str(Location("a.yaml", 3, 7)) == "a.yaml:3:7"
    assert str(Location("a.yaml", 3)) == "a.yaml:3:1"
    assert str(Location("a.yaml")) == "a.yaml"


def test_problem_formats_with_and_without_expectation() -> None:
    assert str(Problem(Location("f", 1, 2), "bad", "good")) == "f:1:2: bad; good"
    assert str(Problem(Location("f", 1, 2), "bad")) == "f:1:2: bad"


def test_invalid_input_lists_every_problem_in_order() -> None:
    error = combine(
        [
            Problem(Location("f", 9, 1), "second"),
            Problem(Location("f", 2, 5), "first"),
        ]
    )
    assert isinstance(error, InvalidInputError)
    assert isinstance(error, InputError) and isinstance(error, StackRiftError)
    assert error.diagnostics() == ["f:2:5: first", "f:9:1: second"]
    assert combine([]) is None


def test_single() -> None:
    error = InvalidInputError.single("x.json", "not JSON", "a JSON document", 4, 2)
    assert str(error) == "x.json:4:2: not JSON; a JSON document"
