"""Saved views: a named set of the search page's conditions, kept by accounts for the
person the statement vouches for, and seen, replaced and deleted by them alone."""
from __future__ import annotations

import pytest
from accounts_support import DISPATCHER, KAICHEN

from services.shared.accounts import VIEWS_MAX
from services.shared.errors import InvalidRequest, NotFound, NotPermitted
from services.shared.statements import vouch

CLOSED_LAMPS = {"category": "street_light", "state": "closed", "sort": "newest"}


def test_a_view_is_kept_for_its_owner_only(service):
    saved = service.save_view(DISPATCHER, "已结案路灯", CLOSED_LAMPS)
    assert saved["name"] == "已结案路灯" and saved["filters"] == CLOSED_LAMPS
    assert [view["name"] for view in service.views(DISPATCHER)] == ["已结案路灯"]
    assert service.views(KAICHEN) == []
    with pytest.raises(NotFound):  # another's view is not found
        service.delete_view(KAICHEN, saved["view_id"])
    assert service.delete_view(DISPATCHER, saved["view_id"]) == {"deleted": saved["view_id"]}
    assert service.views(DISPATCHER) == []


def test_a_view_of_the_same_name_is_replaced(service):
    first = service.save_view(DISPATCHER, "本周", {"first": "2026-11-23"})
    again = service.save_view(DISPATCHER, "本周", {"first": "2026-11-30"})
    assert again["view_id"] == first["view_id"]
    assert [view["filters"] for view in service.views(DISPATCHER)] == [{"first": "2026-11-30"}]


@pytest.mark.parametrize("name, filters", [
    ("", CLOSED_LAMPS), ("x" * 41, CLOSED_LAMPS), ("未知条件", {"colour": "red"}),
    ("不是文字", {"state": 3}),
])
def test_bad_views_are_refused(service, name, filters):
    with pytest.raises(InvalidRequest):
        service.save_view(DISPATCHER, name, filters)


def test_a_person_keeps_at_most_so_many_views(service):
    for n in range(VIEWS_MAX):
        service.save_view(DISPATCHER, f"视图{n}", {})
    with pytest.raises(InvalidRequest):
        service.save_view(DISPATCHER, "再多一个", {})
    service.save_view(DISPATCHER, "视图0", {"sort": "oldest"})  # replacing one still may


def test_one_signed_in_read_only_reads_views_and_changes_none(service):
    saved = service.save_view(DISPATCHER, "本周", {"first": "2026-11-23"})
    read_only = vouch(DISPATCHER, read_only=True)
    assert [view["name"] for view in service.views(read_only)] == ["本周"]
    with pytest.raises(NotPermitted):
        service.save_view(read_only, "另一个", CLOSED_LAMPS)
    with pytest.raises(NotPermitted):
        service.delete_view(read_only, saved["view_id"])
    assert [view["name"] for view in service.views(DISPATCHER)] == ["本周"]
