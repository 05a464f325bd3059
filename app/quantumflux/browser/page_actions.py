"""What a user does on the trading page: read the profile, favorites, asset list; switch asset and period.

Functions over a :class:`~quantumflux.browser.page.TradingPage`; every element is found through
its logical name (resources/selectors.json). Lists are read in one script call with the
selectors that resolved (fast and consistent), clicks go through Selenium like a user's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from quantumflux.browser.page import PageError, SelectorError, TradingPage, normalise, parse_number, text_of
from quantumflux.core.model import Timeframe

_READ_ROWS = """
const [rowSel, fields] = arguments;
return Array.from(document.querySelectorAll(rowSel)).map(row => {
  const out = {id: row.getAttribute('data-id'), cls: String(row.className || '')};
  for (const [key, sel] of Object.entries(fields)) {
    const node = sel ? row.querySelector(sel) : null;
    out[key] = node ? (node.textContent || '').trim() : null;
    out[key + '_cls'] = node ? String(node.className || '') : null;
  }
  return out;
});
"""


@dataclass(frozen=True, slots=True)
class Profile:
    """The account holder as the page shows it. ``email`` is the full address: mask it for output."""

    name: str
    user_id: str
    email: str
    currency: str
    level: str
    account_type: str  # demo | real
    balance: float | None

    def to_dict(self, mask: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if mask:
            data["email"] = mask_email(self.email)
        return data


@dataclass(frozen=True, slots=True)
class AssetRow:
    """One asset as the page lists it (favorites bar or asset picker)."""

    symbol: str  # the page's data-id when it has one (favorites bar), else the label
    label: str
    payout: float | None
    open: bool
    current: bool = False
    favorite: bool = False


def mask_email(email: str) -> str:
    """``trader@example.com`` → ``t*****@e******.com`` (first letters and the top-level domain kept)."""
    if "@" not in email:
        return email[:1] + "*" * max(0, len(email) - 1)
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    masked_host = host[:1] + "*" * max(0, len(host) - 1)
    return f"{local[:1]}{'*' * max(0, len(local) - 1)}@{masked_host}{dot}{tld}"


def account_type(page: TradingPage) -> str:
    """``demo`` or ``real`` from the page's account label (``QT Demo`` / ``QT Real``)."""
    label = text_of(page.find("account_type")).lower()
    if "demo" in label:
        return "demo"
    if "real" in label or "live" in label:
        return "real"
    raise PageError(f"cannot tell the account type from the label {label!r}")


def balance(page: TradingPage) -> float | None:
    """Balance of the account shown in the header."""
    return parse_number(page.value_of("balance"))


def read_profile(page: TradingPage) -> Profile:
    """Name, user id, e-mail, currency, level, account type and balance."""
    with page.lock:
        uid = page.value_of("profile_uid")
        digits = re.search(r"\d+", uid)
        return Profile(
            name=page.value_of("profile_name"),
            user_id=digits.group() if digits else uid,
            email=page.value_of("profile_email"),
            currency=page.value_of("profile_currency"),
            level=page.value_of("profile_level"),
            account_type=account_type(page),
            balance=balance(page),
        )


def _rows(page: TradingPage, row_name: str, fields: dict[str, str]) -> list[dict[str, Any]]:
    rows = page.find_all(row_name)
    if not rows:
        return []
    row_selector = page.resolve(row_name).selector  # type: ignore[union-attr]
    resolved: dict[str, str | None] = {}
    for key, name in fields.items():
        found = next((page.resolve(name, row) for row in rows[:3] if page.resolve(name, row)), None)
        if found is None:
            raise SelectorError(name, page.candidates(name))
        resolved[key] = found.selector
    return list(page.driver.execute_script(_READ_ROWS, row_selector, resolved))


def favorites(page: TradingPage) -> list[AssetRow]:
    """The favorites bar: symbol, label, payout, open/closed, whether it is the page's asset."""
    with page.lock:
        rows = _rows(page, "favorites_item", {"label": "favorites_item_label", "payout": "favorites_item_payout"})
    return [
        AssetRow(
            symbol=row["id"] or row["label"] or "",
            label=row["label"] or "",
            payout=parse_number(row["payout"]),
            open="not-active" not in row["cls"],
            current="--active" in row["cls"],
            favorite=True,
        )
        for row in rows
    ]


def asset_list(page: TradingPage) -> list[AssetRow]:
    """Rows of the asset picker as currently rendered (hidden or not)."""
    with page.lock:
        rows = _rows(page, "asset_list_item",
                     {"label": "asset_list_label", "payout": "asset_list_payout", "star": "favorite_toggle"})
    return [
        AssetRow(
            symbol=row["id"] or row["label"] or "",
            label=row["label"] or "",
            payout=parse_number(row["payout"]),
            open="no-active" not in row["cls"],
            current="--active" in row["cls"],
            favorite=_is_favorite_star(row.get("star_cls") or ""),
        )
        for row in rows
    ]


def _is_favorite_star(classes: str) -> bool:
    tokens = classes.split()
    return "del" in tokens or ("fa-star" in tokens and "fa-star-o" not in tokens)


def matches(row: AssetRow, asset: str) -> bool:
    """True when ``asset`` (symbol or label, any spelling) names ``row``."""
    key = normalise(asset)
    return bool(key) and key in (normalise(row.symbol), normalise(row.label))


def names(row: AssetRow, asset: str, label: str | None = None) -> bool:
    """True when ``asset`` or the broker's ``label`` (when known) names ``row``."""
    return matches(row, asset) or (label is not None and matches(row, label))


def find_asset(page: TradingPage, asset: str, label: str | None = None) -> AssetRow | None:
    """The asset-picker row of ``asset``: searched in the picker when not among the rendered rows.

    The live asset list shows labels, not symbols: a symbol is recognised through the broker's
    ``label`` when the caller knows it, or when the search for it leaves exactly one row.
    """
    with page.lock:
        found = next((row for row in asset_list(page) if names(row, asset, label)), None)
        if found is None:
            _search(page, asset)
            try:
                element = page.until(lambda: _picker_row(page, asset, label), timeout=2.0,
                                     message=f"{asset} in the asset list")
            except PageError:
                element = None
            found = None if element is None else _picker_asset(page, element, asset)
            page.escape()
        return found


def _open_picker(page: TradingPage) -> None:
    search = page.find("asset_search")
    if not search.is_displayed():
        page.click(page.find("asset_picker_open"))
        page.until(search.is_displayed, message="the asset list to open")


def _search(page: TradingPage, asset: str) -> None:
    _open_picker(page)
    search = page.find("asset_search")
    search.clear()
    search.send_keys(asset)


def current_asset_label(page: TradingPage) -> str:
    return text_of(page.find("current_asset"))


def switch_asset(page: TradingPage, asset: str, label: str | None = None) -> AssetRow:
    """Make ``asset`` the page's asset (favorites bar if it is there, else the asset picker).

    ``label`` (the broker's label, when known) lets the current asset be recognised without a lookup.
    """
    with page.lock:
        current = page.snapshot("current_asset")["current_asset"]
        if current is None:
            raise SelectorError("current_asset", page.candidates("current_asset"))
        shown = current.text
        if normalise(shown) in (normalise(asset), normalise(label or "")):
            return AssetRow(asset, shown, None, True, current=True)
        favorite = next((row for row in favorites(page) if names(row, asset, label)), None)
        if favorite is not None and favorite.current:
            return favorite
        if favorite is not None and _click_favorite(page, favorite.symbol):
            target = favorite
        else:
            _search(page, asset)
            row_element = page.until(lambda: _picker_row(page, asset, label), message=f"{asset} in the asset list")
            target = _picker_asset(page, row_element, asset)
            page.click(page.find("asset_list_link", row_element))
        page.until(lambda: current_asset_label(page) == target.label, message=f"the page to show {target.label}")
        return target


def _picker_asset(page: TradingPage, row: Any, asset: str) -> AssetRow:
    """An asset-picker row as an AssetRow; the live list shows no symbol (no data-id), so the caller's name."""
    shown = text_of(page.find("asset_list_label", row))
    payout = page.find_all("asset_list_payout", row)
    star = page.find_all("favorite_toggle", row)
    classes = row.get_attribute("class") or ""
    return AssetRow(row.get_attribute("data-id") or asset, shown, parse_number(text_of(payout[0])) if payout else None,
                    "no-active" not in classes, current="--active" in classes,
                    favorite=bool(star) and _is_favorite_star(star[0].get_attribute("class") or ""))


def _click_favorite(page: TradingPage, asset: str) -> bool:
    """Click the favorites-bar item of ``asset``; False when it cannot be clicked (clipped bar)."""
    item = next((i for i in page.find_all("favorites_item") if matches(_favorite_row(page, i), asset)), None)
    if item is None:
        return False
    try:
        page.click(item)
    except PageError:
        return False
    return True


def _favorite_row(page: TradingPage, item: Any) -> AssetRow:
    label = text_of(page.find("favorites_item_label", item))
    return AssetRow(item.get_attribute("data-id") or label, label, None, True)


def _picker_row(page: TradingPage, asset: str, label: str | None = None) -> Any:
    """The picker row named by ``asset`` (or ``label``), or the only row left by a search for ``asset``."""
    rows = page.find_all("asset_list_item")
    for row in rows:
        shown = text_of(page.find("asset_list_label", row))
        if names(AssetRow(row.get_attribute("data-id") or shown, shown, None, True), asset, label):
            return row
    searched = page.find_all("asset_search")
    if len(rows) == 1 and searched and (searched[0].get_attribute("value") or "") == asset:
        return rows[0]
    return None


def set_favorite(page: TradingPage, asset: str, favorite: bool) -> bool:
    """Add (``favorite=True``) or remove ``asset`` from the favorites; returns True when it changed."""
    with page.lock:
        present = any(matches(row, asset) for row in favorites(page))
        if present == favorite:
            return False
        _search(page, asset)
        row = page.until(lambda: _picker_row(page, asset), message=f"{asset} in the asset list")
        page.click(page.find("favorite_toggle", row))
        page.until(lambda: any(matches(r, asset) for r in favorites(page)) == favorite,
                   message=f"the favorites bar to {'show' if favorite else 'drop'} {asset}")
        search = page.find("asset_search")
        search.clear()
        page.escape()
        return True


def select_favorites(page: TradingPage, min_payout: float, mode: str = "first") -> list[AssetRow]:
    """Click the open favorites paying at least ``min_payout`` %: the first, the last, or all in turn."""
    if mode not in ("first", "last", "all"):
        raise ValueError(f"select must be first, last or all, not {mode!r}")
    eligible = [row for row in favorites(page) if row.open and row.payout is not None and row.payout >= min_payout]
    chosen = eligible if mode == "all" else eligible[:1] if mode == "first" else eligible[-1:]
    for row in chosen:
        switch_asset(page, row.symbol)
    return chosen


def current_period(page: TradingPage) -> int | None:
    """Chart period in seconds from the period button's text (``… 1m``), None when unreadable."""
    words = text_of(page.find("period_selector")).split()
    try:
        return Timeframe.parse(words[-1]).seconds if words else None
    except ValueError:
        return None


def switch_period(page: TradingPage, period: int | str) -> int:
    """Choose the chart period (seconds or ``1m``-style text); returns it in seconds."""
    seconds = Timeframe.parse(period).seconds
    with page.lock:
        if current_period(page) == seconds:
            return seconds
        page.click(page.find("period_selector"))
        options = page.until(lambda: [o for o in page.find_all("period_option") if o.is_displayed()],
                             message="the period list to open")
        option = next((o for o in options if _option_seconds(o) == seconds), None)
        if option is None:
            page.escape()
            raise PageError(f"the page offers no {Timeframe(seconds)} period")
        page.click(option)
        page.until(lambda: current_period(page) == seconds, message=f"the period to become {Timeframe(seconds)}")
        return seconds


def _option_seconds(option: Any) -> int | None:
    """The period an option stands for, from its text (``5s`` … ``1d``): the live options carry no value."""
    try:
        return Timeframe.parse(text_of(option)).seconds
    except ValueError:
        return None


def open_deal_count(page: TradingPage) -> int:
    """Open trades listed on the page (the Opened tab is shown for the count, then the user's tab again)."""
    from quantumflux.browser.page_deals import read_deals

    return len(read_deals(page, "opened"))
