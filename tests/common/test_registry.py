"""The registry apps fill at startup: order, replacement in place, and the error for a miss."""

import pytest

from common import jobs, navigation
from common.registry import Registry
from reviews import kinds


def test_registry_keeps_entries_in_the_order_first_registered():
    # given a registry with three entries
    registry: Registry[str] = Registry("colour")
    registry.register("b", "blue")
    registry.register("r", "red")
    registry.register("g", "green")
    # when one key is registered again
    registry.register("b", "navy")
    # then it is replaced where it stood, and nothing is added
    assert registry.all() == ["navy", "red", "green"]
    assert (registry.get("b"), len(registry), "r" in registry, "y" in registry) == (
        "navy",
        3,
        True,
        False,
    )


def test_registry_miss_names_what_was_looked_for():
    registry: Registry[str] = Registry("colour")
    with pytest.raises(LookupError, match=r"^no colour 'mauve' is registered$"):
        registry.get("mauve")


def test_job_review_kind_and_navigation_lists_are_registries():
    assert isinstance(jobs._JOBS, Registry) and "common.housekeeping" in jobs._JOBS
    assert isinstance(kinds._KINDS, Registry) and "tests.note" in kinds._KINDS
    assert isinstance(navigation._NAV, Registry) and "common:job_list" in navigation._NAV
    with pytest.raises(LookupError, match=r"^no review-item kind 'nope' is registered$"):
        kinds.get_kind("nope")


def test_registering_a_navigation_entry_twice_shows_it_once():
    item = navigation._NAV.get("common:job_list")
    before = len(navigation._NAV)
    navigation.register_nav(item)
    navigation.register_nav(item)
    assert len(navigation._NAV) == before
