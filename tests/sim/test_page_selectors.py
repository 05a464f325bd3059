"""The selectors contract (resources/selectors.json) without a browser: shape, coverage, and that the
practice page's own table of first choices, its static files and the documentation agree with it."""

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
    "open_trades_item",
    "closed_trades_item",
    "toast",
}
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
