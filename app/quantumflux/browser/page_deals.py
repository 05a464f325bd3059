"""The deals list of the trading page: one ``.deals-list`` that shows the active tab's deals.

As on the live page, the Opened and Closed tabs share one list: only the active tab's deals are in
the DOM, and the tab the user left active stays active across page loads. Reading a tab's deals
therefore means clicking that tab first; :func:`read_deals` does so and clicks the user's tab again
afterwards. Rows follow the structure public bots read from the live list (two ``.item-row`` lines
per ``.deals-list__item``); the DOM shows no deal id, so trade confirmation and results must still
come from the broker's events, never from these rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quantumflux.browser.page import PageError, TradingPage

TABS = {"opened": "opened_tab", "closed": "closed_tab"}

_READ_DEALS = """
const [itemSel, rowSel] = arguments;
return Array.from(document.querySelectorAll(itemSel)).map(item => {
  const rows = item.querySelectorAll(rowSel);
  const first = rows[0], second = rows[1];
  const firstCells = first ? Array.from(first.children) : [];
  const names = firstCells[0] ? Array.from(firstCells[0].querySelectorAll('a')).filter(a => !a.closest('.favorites')) : [];
  return {
    asset: names.length ? (names[names.length - 1].textContent || '').trim() : '',
    time: firstCells[1] ? (firstCells[1].textContent || '').trim() : '',
    up: !!(second && second.querySelector('.fa-arrow-up')),
    down: !!(second && second.querySelector('.fa-arrow-down')),
    values: second ? Array.from(second.children).map(cell => (cell.textContent || '').trim()) : [],
  };
});
"""


@dataclass(frozen=True, slots=True)
class DealRow:
    """One row of the deals list as shown (no deal id: the page has none).

    ``returned`` is what the deal pays back: on a closed deal the stake plus profit on a win, 0 on a
    loss, the stake on a draw; on an open deal what a win would pay. ``time`` is the time left
    (``MM:SS``) on an open deal and the close time (``HH:MM``) on a closed one.
    """

    asset: str
    direction: str  # call | put | "" when the row shows no arrow
    amount: float | None
    returned: float | None
    profit: float | None
    time: str
    closed: bool


def money(text: str | None) -> float | None:
    """``$1,234.50`` → 1234.5, ``+$0.92`` → 0.92, ``−$1.00`` → -1.0; None when not an amount."""
    if not text:
        return None
    cleaned = (text.replace("\u2212", "-").replace("$", "").replace("+", "").replace(",", "")
               .replace("\u202f", "").replace("\u25b2", "").replace("\u25bc", "").strip())
    try:
        return float(cleaned)
    except ValueError:
        return None


def active_tab(page: TradingPage) -> str | None:
    """``opened`` or ``closed``: the tab whose ``li`` is ``active``; None when neither is."""
    with page.lock:
        active = page.find_all("active_deals_tab")
        if not active:
            return None
        for tab, name in TABS.items():
            if page.find(name) == active[0]:
                return tab
        return None


def show_tab(page: TradingPage, tab: str) -> str | None:
    """Make ``tab`` (``opened``/``closed``) the active deals tab; returns the tab that was active before."""
    if tab not in TABS:
        raise ValueError(f"the deals tab is opened or closed, not {tab!r}")
    with page.lock:
        before = active_tab(page)
        if before != tab:
            page.click(page.find(TABS[tab]))
            page.until(lambda: active_tab(page) == tab, message=f"the {tab} deals tab")
        _wait_for_list(page)
        return before


def _wait_for_list(page: TradingPage, timeout: float = 2.0) -> None:
    """Give the list a moment to show rows or its empty-state line (a tab switch re-renders it).

    A tab without deals may show no empty-state line at all, so running out of time is not an error.
    """
    try:
        page.until(lambda: page.find_all("deal_item") or page.find_all("no_deals"), timeout=timeout,
                   message="the deals list")
    except PageError:
        pass


def read_deals(page: TradingPage, tab: str = "opened") -> list[DealRow]:
    """The deals listed under ``tab``: the tab is shown first, the user's tab again afterwards."""
    with page.lock:
        before = show_tab(page, tab)
        try:
            rows = _rows(page, closed=tab == "closed")
        finally:
            if before is not None and before != tab:
                show_tab(page, before)
    return rows


def _rows(page: TradingPage, closed: bool) -> list[DealRow]:
    item, row = page.resolve("deal_item"), page.resolve("deal_item_row")
    if item is None:
        return []
    if row is None:
        raise PageError("deal rows show no lines the page automation can read (deal_item_row); "
                        "run `quantumflux doctor`")
    found: list[dict[str, Any]] = list(page.driver.execute_script(_READ_DEALS, item.selector, row.selector))
    return [DealRow(
        asset=entry["asset"],
        direction="call" if entry["up"] else "put" if entry["down"] else "",
        amount=money(entry["values"][0]) if entry["values"] else None,
        returned=money(entry["values"][1]) if len(entry["values"]) > 1 else None,
        profit=money(entry["values"][2]) if len(entry["values"]) > 2 else None,
        time=entry["time"],
        closed=closed,
    ) for entry in found]
