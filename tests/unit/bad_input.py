"""Generated bad input for any service's RPCs (hypothesis), and what a refusal must look like.

Mostly one argument of a call is broken, the rest valid, so that draws get past the first
check: a valid value with one field replaced with junk, dropped, joined by an unknown one,
or with an odd character inside a string; or junk outright: wrong types, huge numbers,
NaN, oversized text, deep nesting, control characters and mixed scripts (Chinese, Arabic,
emoji, RTL marks, NUL, lone surrogates). A call may succeed (the draw happened to be
valid) or be refused with a documented error; a refused call stores nothing and says
nothing, and the service still serves a valid call after it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kombu.utils import json
from nameko.events import EventDispatcher
from nameko.rpc import Rpc
from nameko.testing.services import worker_factory

from services.shared.errors import EXPECTED, InvalidRequest

# Sized so that the test_bad_input_* files together run in well under 40 s;
# BAD_INPUT_EXAMPLES=500 searches harder.
BAD_INPUT = settings(max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES") or 60),
                     deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])

PIECES = (
    "王阿姨", "殷行街道", "𠀀𪚥", "مرحبا بالعالم", "שלום", "😀", "👩🏽‍🚒", "🇨🇳",
    "\u202e", "\u200f", "\u200b", "\ufeff", "\x00", "\x07", "\x1b[31m", "\r\n", "\t",
    "\ud800", "\udfff",  # lone surrogates: JSON can carry them, BSON cannot
    "Ωμέγα", "Ａ１", "<script>", "$where", "{\"$gt\": \"\"}", "../../etc/passwd", " ", "",
    "2026-11-23T02:00:00.000Z", "13812345678", "YP20261123-0001", "null", "-1",
)

# What may slip past a type check inside an otherwise plausible string.
ODD = ("\ud800", "\udfff", "\x00", "\x1b", "\u202e", "\u200f", "😀", "مرحبا", "𠀀", "\ufeff")

texts = st.one_of(
    st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=6).map("".join),
    st.sampled_from(PIECES),
    # oversized: past every bound the contract sets (100, 500, 4000 characters)
    st.builds(lambda piece, n: piece * n, st.sampled_from(("长", "a", "😀", "م", "\x00")),
              st.sampled_from((101, 501, 4001, 100_000))),
)
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.sampled_from((0, -1, 2**31, 2**63, -(2**63) - 1, 10**30)),
    st.floats(allow_nan=True, allow_infinity=True), texts,
)


def deeply_nested(leaf: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"a": leaf}
    return leaf


junk = st.one_of(
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(texts, inner, max_size=4), max_leaves=8),
    st.builds(deeply_nested, scalars, st.integers(20, 300), st.booleans()),
)


@st.composite
def broken(draw, valid: Any) -> Any:
    """``valid`` with one thing wrong somewhere inside it (or junk, for a scalar)."""
    if isinstance(valid, dict) and valid:
        value = dict(valid)
        key = draw(st.sampled_from(sorted(value)))
        how = draw(st.sampled_from(("replace", "drop", "add", "deeper", "deeper", "deeper")))
        if how == "replace":
            value[key] = draw(junk)
        elif how == "drop":
            del value[key]
        elif how == "add":
            value[draw(texts)] = draw(junk)
        else:
            value[key] = draw(broken(value[key]))
        return value
    if isinstance(valid, list) and valid:
        value = list(valid)
        index = draw(st.integers(0, len(value) - 1))
        value[index] = draw(broken(value[index]) | junk)
        return value
    if isinstance(valid, str):
        # a plausible value with something odd inside: reaches past type checks
        at = draw(st.integers(0, len(valid)))
        return draw(st.sampled_from(ODD).map(lambda piece: valid[:at] + piece + valid[at:])
                    | junk)
    return draw(junk)


def argument(valid: Any) -> SearchStrategy:
    """A valid value (a strategy stands for several), a broken one, or junk."""
    good = _valid(valid)
    return st.one_of(good, good.flatmap(broken), junk)


@st.composite
def arguments(draw, valid: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for an RPC from its valid ones, mostly with one of them broken, so
    that the draws reach past the first check; sometimes none broken, sometimes all."""
    names = sorted(valid)
    how_many = draw(st.sampled_from((0, 1, 1, 1, 2, len(names))))
    bad = set(draw(st.permutations(names))[:how_many])
    return {name: draw(argument(value) if name in bad else _valid(value))
            for name, value in valid.items()}


def _valid(value: Any) -> SearchStrategy:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def rpc_names(service_class: type) -> set[str]:
    """The names of every RPC the service class offers."""
    return {name for name in dir(service_class)
            if any(isinstance(entrypoint, Rpc) for entrypoint
                   in getattr(getattr(service_class, name), "nameko_entrypoints", ()))}


@dataclass
class Served:
    """A service under test (worker_factory on its real store): the databases it owns, what
    its valid arguments need (a task id, a resident id…), and a valid call that must still
    work after any input."""

    service: Any
    databases: list
    context: Any = None
    still_serving: Callable[[], Any] = lambda: None


def worker(service_class: type, store_class: type, database: Callable, config: dict | None = None,
           **dependencies) -> tuple[Any, Any]:
    """(the service built by worker_factory on a real store over the test's database, that
    database)."""
    db = database(service_class.name)
    store = store_class(db)
    store.ensure_indexes()
    service = worker_factory(service_class, store=store, **dependencies)
    if config is not None:
        service.config = config
    return service, db


def rpc_tests(service_class: type, valid: Callable[[Any], dict], *,
              refusals_recorded: tuple[str, ...] = ()) -> tuple[Callable, Callable]:
    """The two tests of a service's bad-input file, over its ``served`` fixture (a Served):
    every RPC is tried, and each takes generated input (``valid(context)`` gives each RPC's
    valid keyword arguments) with only documented errors, nothing stored or said when
    refused, and the service still serving after."""

    def test_every_rpc_is_tried():
        assert set(valid(None)) == rpc_names(service_class)

    @pytest.mark.parametrize("rpc", sorted(valid(None)))
    @BAD_INPUT
    @given(data=st.data())
    def test_bad_input_gets_a_documented_error_and_changes_nothing(served, rpc, data):
        kwargs = data.draw(arguments(valid(served.context)[rpc]), label=rpc)
        assert_refused_cleanly(served.service, served.databases,
                               lambda: getattr(served.service, rpc)(**kwargs),
                               refusal_is_recorded=rpc in refusals_recorded)
        served.still_serving()

    return test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing


def snapshot(databases: list) -> dict:
    """Every document of every collection of the given databases."""
    return {(db.name, name): sorted(db[name].find(), key=lambda doc: str(doc["_id"]))
            for db in databases for name in sorted(db.list_collection_names())}


def assert_refused_cleanly(service, databases: list, call: Callable[[], Any], *,
                           refusal_is_recorded: bool = False) -> None:
    """``call()`` succeeds or raises a documented error; refused, it stores nothing and says
    nothing (``refusal_is_recorded``: a wrong password is counted, and the fifth locks the
    account and says so). Accepted, its answer must go back over the wire and what it
    stored must fit a real MongoDB (mongomock takes values BSON cannot hold, such as
    integers past 64 bits or lone surrogates). Anything else (TypeError, KeyError…)
    propagates and fails the test."""
    before = snapshot(databases)
    _reset_publisher(service)
    try:
        answer = call()
    except EXPECTED as refusal:
        event(type(refusal).__name__)
        if not refusal_is_recorded:
            _assert_unchanged(service, databases, before)
        return
    event("accepted")
    json.dumps(answer)
    for documents in snapshot(databases).values():
        for document in documents:
            bson.encode(document)


def assert_refused(service, databases: list, call: Callable[[], Any],
                   error: type = InvalidRequest) -> None:
    """``call()`` raises ``error``, and nothing was stored or said (a regression example)."""
    before = snapshot(databases)
    _reset_publisher(service)
    with pytest.raises(error):
        call()
    _assert_unchanged(service, databases, before)


def publisher_of(service) -> Any:
    """The service's event publisher (a Mock under worker_factory), whatever its name, or
    None for a service that says nothing (the ledger)."""
    for name, provider in vars(type(service)).items():
        if isinstance(provider, EventDispatcher):
            return getattr(service, name)
    return None


def _reset_publisher(service) -> None:
    publisher = publisher_of(service)
    if publisher is not None:
        publisher.reset_mock()


def _assert_unchanged(service, databases: list, before: dict) -> None:
    assert snapshot(databases) == before, "a refused call changed the store"
    publisher = publisher_of(service)
    assert publisher is None or publisher.call_args_list == [], "a refused call sent an event"
