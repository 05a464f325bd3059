"""The selectors contract (resources/selectors.json) without a browser: shape, coverage, that no selector
relies on an attribute never seen on the live page, and that the practice page's own table of first
choices, its static files and the documentation (with its verified/assumed table) agree with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from quantumflux.resource_files import resource_path

REQUIRED = {
    "call_button",
    "put_button",
    "amount_input",
    "expiry_value",
    "expiry_hours_input",
    "expiry_minutes_input",
    "expiry_seconds_input",
    "balance",
    "account_type",
    "demo_real_switch",
    "current_asset",
    "asset_picker_open",
    "asset_search",
    "asset_list_item",
    "favorites_item",
    "favorites_item_payout",
    "favorite_toggle",
    "period_selector",
    "period_option",
    "profile_name",
    "profile_uid",
    "profile_email",
    "profile_currency",
    "profile_level",
    "opened_tab",
    "closed_tab",
    "active_deals_tab",
    "deal_item",
    "deal_item_row",
    "trade_notice",
}
#: Attributes public sources show on the live page: input[type=text] (the amount field), data-id on
#: favorites, data-hd-show on hidden values, data-modal-id on menu openers. Selectors may use only these.
EVIDENCED_ATTRIBUTES = {"type", "data-id", "data-hd-show", "data-modal-id"}
#: Attributes the practice page may carry: the evidenced ones, data-src on the expiry-mode icon (seen
#: live) and data-qf, the page's own element references (removed at start-up, before any automation).
PAGE_ATTRIBUTES = EVIDENCED_ATTRIBUTES | {"data-src", "data-qf"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "page-automation.md"


def load_selectors() -> dict[str, list[str]]:
    return json.loads(resource_path("selectors.json").read_text(encoding="utf-8"))


def page_logical_table() -> dict[str, str]:
    """The LOGICAL table in app.js (logical name -> first-choice selector), parsed from the source."""
    source = resource_path("sim_page", "app.js").read_text(encoding="utf-8")
    block = re.search(r"var LOGICAL = \{(.*?)\n  \};", source, re.S)
    assert block, "app.js has no LOGICAL table"
    return {
        name: json.loads(value) for name, value in re.findall(r"^\s+(\w+): (\".*\"),?$", block.group(1), re.M)
    }


def test_selectors_file_is_name_to_ordered_nonempty_list_of_strings() -> None:
    selectors = load_selectors()
    assert selectors, "selectors.json is empty"
    for name, candidates in selectors.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), f"bad logical name {name!r}"
        assert isinstance(candidates, list) and candidates, f"{name}: needs at least one selector"
        assert all(isinstance(css, str) and css.strip() == css and css for css in candidates), name
        assert len(set(candidates)) == len(candidates), f"{name}: duplicate fallback"


def test_selectors_cover_every_element_page_automation_needs() -> None:
    missing = REQUIRED - set(load_selectors())
    assert not missing, f"selectors.json lacks {sorted(missing)}"


def test_page_table_of_first_choices_equals_selectors_file() -> None:
    selectors = load_selectors()
    table = page_logical_table()
    assert table == {name: candidates[0] for name, candidates in selectors.items()}


def test_page_serves_every_static_file_it_references() -> None:
    html = resource_path("sim_page", "index.html").read_text(encoding="utf-8")
    referenced = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert {"app.js", "socket.js", "chart.js", "render.js", "style.css"} <= set(referenced)
    for name in referenced:
        assert resource_path("sim_page", name).is_file(), name


def test_documentation_names_every_logical_selector() -> None:
    text = DOCS.read_text(encoding="utf-8")
    undocumented = [name for name in load_selectors() if f"`{name}`" not in text]
    assert not undocumented, f"docs/page-automation.md does not describe {undocumented}"


def test_no_selector_relies_on_an_attribute_never_seen_on_the_live_page() -> None:
    used = {
        (name, attribute)
        for name, candidates in load_selectors().items()
        for css in candidates
        for attribute in re.findall(r"\[\s*([A-Za-z_:][-A-Za-z0-9_:.]*)", css)
    }
    invented = sorted((name, attribute) for name, attribute in used if attribute not in EVIDENCED_ATTRIBUTES)
    assert not invented, f"selectors relying on unevidenced attributes: {invented}"


def test_practice_page_carries_no_invented_data_attribute() -> None:
    found: dict[str, set[str]] = {}
    for file in ("index.html", "render.js", "app.js"):
        text = resource_path("sim_page", file).read_text(encoding="utf-8")
        names = set(re.findall(r"\b(data-[a-z][a-z0-9-]*)(?==|\"|')", text))
        found[file] = names - PAGE_ATTRIBUTES
    assert found == {"index.html": set(), "render.js": set(), "app.js": set()}


def evidence_table() -> dict[str, tuple[str, str, str]]:
    """docs/page-automation.md's evidence table: logical name -> (first choice, status, sources)."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+`", cells[0]) and cells[2] in ("verified", "assumed"):
            rows[cells[0].strip("`")] = (cells[1].strip("`").replace("\\|", "|"), cells[2], cells[3])
    return rows


def test_documentation_says_for_every_name_whether_its_selector_is_verified_and_where_from() -> None:
    table = evidence_table()
    selectors = load_selectors()
    assert set(table) == set(selectors), "the evidence table and selectors.json name different elements"
    for name, (first, status, sources) in table.items():
        assert first == selectors[name][0], f"{name}: the table shows {first!r}, selectors.json {selectors[name][0]!r}"
        assert sources, f"{name}: no source named"
        if status == "verified":
            assert re.search(r"\[[A-Z][0-9]*\]", sources), f"{name}: verified without a cited source"
