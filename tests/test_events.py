from __future__ import annotations

import copy
import json
import pickle

import pytest

from ssec_proto import Event


def test_defaults() -> None:
    event = Event()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", "", None)


def test_is_immutable_and_has_no_instance_dict() -> None:
    event = Event(data="x")
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(event, "__dict__")


def test_unpacks_in_field_order_and_matches_patterns() -> None:
    event = Event(event="e", data="d", id="1", retry=5)
    kind, data, event_id, retry = event
    assert (kind, data, event_id, retry) == ("e", "d", "1", 5)
    match event:
        case Event(kind, data, retry=retry):
            assert (kind, data, retry) == ("e", "d", 5)
        case _:  # pragma: no cover
            pytest.fail("no match")


def test_equals_only_events() -> None:
    event = Event(data="x")
    fields = ("message", "x", "", None)
    assert tuple(event) == fields
    assert event != fields
    assert fields != event
    assert not event == fields  # noqa: SIM201
    assert event != "x"
    assert event.__eq__("x") is NotImplemented
    assert event.__ne__("x") is NotImplemented
    assert event != Event(data="y")
    assert not event != Event(data="x")  # noqa: SIM202


def test_pickles_and_copies() -> None:
    event = Event(event="e", data="d", id="1", retry=5)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(event, protocol)) == event
    assert copy.copy(event) is event
    assert copy.deepcopy(event) is event


def test_compares_and_hashes_by_value() -> None:
    a = Event(event="e", data="d", id="1", retry=5)
    b = Event(event="e", data="d", id="1", retry=5)
    assert a == b
    assert hash(a) == hash(b)
    assert a != Event(event="e", data="d", id="2", retry=5)
    assert len({a, b}) == 1


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Event("message", "data")  # type: ignore[call-arg]


def test_json_parses_data() -> None:
    assert Event(data='{"n": [1, 2.5]}').json() == {"n": [1, 2.5]}
    assert Event(data="1.5").json(parse_float=str) == "1.5"
    with pytest.raises(json.JSONDecodeError):
        Event(data="not json").json()


def test_repr_names_the_public_module() -> None:
    assert Event.__module__ == "ssec_proto"
    assert repr(Event(data="x")) == "Event(event='message', data='x', id='', retry=None)"
