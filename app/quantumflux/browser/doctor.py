"""``quantumflux doctor``: check every selector of resources/selectors.json on the live page.

For each logical name every candidate selector is counted on the page. The verdict:

``ok``        the first choice matches
``fallback``  the first choice matches nothing, fallback N does (works, but the page changed)
``broken``    nothing matches: automation that needs this element will fail
``empty``     nothing matches, but the element may legitimately be absent now (no deals on the
              active Opened/Closed tab, no notice shown)
``invalid``   a selector is not valid CSS (counted as not matching)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from selenium.common.exceptions import InvalidSelectorException
from selenium.webdriver.common.by import By

from quantumflux.browser.page import TradingPage

#: Names that match nothing until something happens (a deal on the active tab, a notice), or that are
#: absent in some states (the empty-list line while deals are listed).
MAY_BE_EMPTY = frozenset({"deal_item", "deal_item_row", "no_deals", "trade_notice"})


@dataclass(frozen=True, slots=True)
class SelectorCheck:
    """The verdict for one logical name: ``counts[i]`` is how many elements candidate i matches (-1 invalid)."""

    name: str
    status: str
    selector: str | None
    index: int | None
    counts: tuple[int, ...]
    candidates: tuple[str, ...]

    @property
    def message(self) -> str:
        if self.status == "ok":
            return f"ok ({self.counts[0]} element(s))"
        if self.status == "fallback":
            return f"first choice broken, fallback {self.index} in use: {self.selector!r}"
        if self.status == "empty":
            return "nothing on the page now (may be normal: no deals on the active tab, no notice)"
        return f"BROKEN: none of {len(self.candidates)} selector(s) matches"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["message"] = self.message
        return data


def check_selectors(page: TradingPage) -> list[SelectorCheck]:
    """Count every candidate of every logical name on the page."""
    checks = []
    with page.lock:
        for name, candidates in page.selectors.items():
            counts = tuple(_count(page, selector) for selector in candidates)
            index = next((i for i, count in enumerate(counts) if count > 0), None)
            if index == 0:
                status = "ok"
            elif index is not None:
                status = "fallback"
            elif name in MAY_BE_EMPTY:
                status = "empty"
            else:
                status = "broken"
            selector = candidates[index] if index is not None else None
            checks.append(SelectorCheck(name, status, selector, index, counts, candidates))
    return checks


def _count(page: TradingPage, selector: str) -> int:
    try:
        return len(page.driver.find_elements(By.CSS_SELECTOR, selector))
    except InvalidSelectorException:
        return -1


def broken(checks: list[SelectorCheck]) -> list[str]:
    """Names whose every selector failed."""
    return [check.name for check in checks if check.status == "broken"]
