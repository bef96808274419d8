"""The directory: places, the units that answer for them, and the rules that route a ticket.

A place is named by its path, the names from the district down joined by "/":
``杨浦区/殷行街道/开鲁新村/开鲁新村/12号``. Routing walks an address from its deepest
given level up to the district and takes, at the first level that has one, the rule for
the ticket's category, else that level's "*" rule; nothing found sends the ticket to the
dispatch centre. A ticket about a resident of the register (the caller in the register, a
missed check-in) goes to the resident's grid unit instead, for the categories that
``ROUTING.grid_categories`` lists. Plain functions, no database.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from services.shared.directory import (
    ANY_CATEGORY,
    CENTRE_ID,
    CENTRE_KIND,
    PLACE_SEPARATOR,
    DirectorySchema,
)
from services.shared.errors import InvalidRequest
from services.shared.schemas import CATEGORIES, PLACE_LEVELS, load

# Care for a resident of the register goes to the grid that answers for them.
DEFAULT_GRID_CATEGORIES = ("welfare_check", "elderly_meals", "errands", "home_repair")
RESIDENT_GRID = "resident's grid"  # the route of a ticket sent to the resident's grid


@dataclass(frozen=True)
class Route:
    unit_id: str
    route: str | None  # the place whose rule matched; None when nothing did
    routed: bool


def path_of(names: Iterable[str]) -> str:
    return PLACE_SEPARATOR.join(names)


def address_paths(address: dict) -> list[str]:
    """The places an address lies in, deepest first. Levels are read from the district
    down and stop at the first one not given, since a path cannot skip a level."""
    names = []
    for level in PLACE_LEVELS:
        name = address.get(level)
        if not name:
            break
        names.append(name)
    return [path_of(names[:depth]) for depth in range(len(names), 0, -1)]


def route(address: dict, category: str, rules: Iterable[dict]) -> Route:
    """Where a ticket of ``category`` at ``address`` goes, given the routing rules
    (the rules of the address's places are enough)."""
    unit_by_key = {(rule["category"], rule["place"]): rule["unit_id"] for rule in rules}
    for place in address_paths(address):
        for wanted in (category, ANY_CATEGORY):
            unit_id = unit_by_key.get((wanted, place))
            if unit_id:
                return Route(unit_id, place, True)
    return Route(CENTRE_ID, None, False)


def grid_categories_from(settings: dict | None) -> frozenset[str]:
    """The categories routed to a resident's grid, from the ``ROUTING`` config
    (``grid_categories``; the default when it is left out). ValueError for an unknown one."""
    listed = (settings or {}).get("grid_categories")
    categories = DEFAULT_GRID_CATEGORIES if listed is None else tuple(listed)
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"ROUTING.grid_categories: unknown categories {unknown}")
    return frozenset(categories)


def resident_grid(resident: dict | None, category: str, grid_categories: frozenset[str],
                  unit_of: Callable[[str], dict | None]) -> Route | None:
    """The resident's grid unit, when the ticket carries a resident whose ``grid_unit_id``
    is a handling unit of the directory (``unit_of``) and its category is one of
    ``grid_categories``; None to route by place."""
    unit_id = (resident or {}).get("grid_unit_id")
    if not unit_id or category not in grid_categories:
        return None
    unit = unit_of(unit_id)
    if unit is None or unit["kind"] == CENTRE_KIND:
        return None
    return Route(unit_id, RESIDENT_GRID, True)


def flatten(places: list[dict], parent: str | None = None, depth: int = 0,
            out: list[dict] | None = None) -> list[dict]:
    """The place tree as a list, parents first, in the order given: each with its
    ``path``, ``name``, ``level`` and ``parent`` path."""
    out = [] if out is None else out
    for place in places:
        path = place["name"] if parent is None else path_of((parent, place["name"]))
        level = PLACE_LEVELS[depth] if depth < len(PLACE_LEVELS) else None
        out.append({"path": path, "name": place["name"], "level": level, "parent": parent})
        flatten(place.get("children") or [], path, depth + 1, out)
    return out


def tree(flat: list[dict]) -> list[dict]:
    """The place tree back from ``flatten``'s list (parents before their children)."""
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for place in flat:
        node = {"name": place["name"], "children": []}
        nodes[place["path"]] = node
        siblings = nodes[place["parent"]]["children"] if place["parent"] in nodes else roots
        siblings.append(node)
    return roots


def problems(directory: dict) -> dict[str, list[str]]:
    """What makes a well-shaped directory unusable: references to units or places that
    are not in it, duplicates, a missing or second dispatch centre, too deep a tree."""
    found: dict[str, list[str]] = {}

    def problem(section: str, message: str) -> None:
        found.setdefault(section, []).append(message)

    flat = flatten(directory["places"])
    paths = set()
    for place in flat:
        if place["level"] is None:
            problem("places", f"{place['path']}: places nest at most {len(PLACE_LEVELS)} deep "
                              f"({' › '.join(PLACE_LEVELS)}).")
        if place["path"] in paths:
            problem("places", f"{place['path']}: named twice.")
        paths.add(place["path"])

    units: dict[str, dict] = {}
    for unit in directory["units"]:
        if unit["id"] in units:
            problem("units", f"{unit['id']}: two units have this id.")
        units[unit["id"]] = unit
        if unit["kind"] == CENTRE_KIND and unit["id"] != CENTRE_ID:
            problem("units", f"{unit['id']}: the dispatch centre's id is '{CENTRE_ID}'.")
        if unit["kind"] != CENTRE_KIND and not unit.get("place"):
            problem("units", f"{unit['id']}: a handling unit needs the place it answers for.")
        if unit.get("place") and unit["place"] not in paths:
            problem("units", f"{unit['id']}: no place {unit['place']}.")
    centre = units.get(CENTRE_ID)
    if centre is None or centre["kind"] != CENTRE_KIND:
        problem("units", f"The dispatch centre (id '{CENTRE_ID}', kind '{CENTRE_KIND}') "
                         f"is missing.")

    keys = set()
    for rule in directory.get("rules") or []:
        name = f"{rule['category']} @ {rule['place']}"
        if (rule["category"], rule["place"]) in keys:
            problem("rules", f"{name}: two rules for the same category and place.")
        keys.add((rule["category"], rule["place"]))
        if rule["place"] not in paths:
            problem("rules", f"{name}: no place {rule['place']}.")
        unit = units.get(rule["unit_id"])
        if unit is None:
            problem("rules", f"{name}: no unit {rule['unit_id']}.")
        elif unit["kind"] == CENTRE_KIND:
            problem("rules", f"{name}: what no rule routes waits at the centre already; "
                             f"route to a handling unit.")
    return found


def checked(payload: Any) -> dict:
    """The directory, validated in shape and in its references; InvalidRequest otherwise."""
    directory = load(DirectorySchema(), payload)
    found = problems(directory)
    if found:
        raise InvalidRequest(found)
    return directory


def read_file(path: str) -> dict:
    """The directory from a YAML file, checked as ``load_directory`` checks it."""
    with open(path, encoding="utf-8") as file:
        return checked(yaml.safe_load(file))
