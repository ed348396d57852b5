from __future__ import annotations

import dataclasses
import json

import pytest

from ssec_proto import Event


def test_defaults() -> None:
    event = Event()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", "", None)


def test_is_frozen_and_slotted() -> None:
    event = Event(data="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "y"  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


def test_compares_and_hashes_by_value() -> None:
    a = Event(event="e", data="d", id="1", retry=5)
    b = Event(event="e", data="d", id="1", retry=5)
    assert a == b
    assert hash(a) == hash(b)
    assert a != Event(event="e", data="d", id="2", retry=5)
    assert len({a, b}) == 1


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Event("message", "data")  # type: ignore[misc]


def test_json_parses_data() -> None:
    assert Event(data='{"n": [1, 2.5]}').json() == {"n": [1, 2.5]}
    assert Event(data="1.5").json(parse_float=str) == "1.5"
    with pytest.raises(json.JSONDecodeError):
        Event(data="not json").json()


def test_repr_names_the_public_module() -> None:
    assert Event.__module__ == "ssec_proto"
    assert repr(Event(data="x")) == "Event(event='message', data='x', id='', retry=None)"
