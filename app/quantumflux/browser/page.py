"""Page automation: Selenium attached to the running browser, elements found through resources/selectors.json.

:class:`TradingPage` never launches or quits a browser: it attaches to the one listening on
``host:port`` (``debuggerAddress``), picks the trading tab, and ``detach()`` ends only the
WebDriver session (chromedriver leaves a browser it did not start running).

Every element is looked up by its *logical name*: the selectors of that name are tried in order
and the first that matches wins. When none matches, :class:`SelectorError` names the element and
every selector tried — the caller must never click something else instead. All waits are
explicit (``WebDriverWait`` on a condition).

Reading: hidden menus are in the DOM all the time, so values are read with ``textContent`` or
``data-hd-show`` (Selenium's ``.text`` is empty for hidden elements).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.common.exceptions import (
    ElementNotInteractableException,
    InvalidSelectorException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from quantumflux.resource_files import resource_path

T = TypeVar("T")
DEFAULT_CHROMEDRIVER = Path("/usr/bin/chromedriver")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class PageError(RuntimeError):
    """The page could not be reached or did not do what was asked."""


class SelectorError(PageError):
    """No selector of a logical element matches the page (the broker's UI changed, or it is not loaded)."""

    def __init__(self, name: str, tried: Sequence[str]) -> None:
        super().__init__(f"page element {name!r} not found: none of its {len(tried)} selector(s) matches "
                         f"({', '.join(repr(s) for s in tried)}); run `quantumflux doctor`")
        self.name = name
        self.tried = tuple(tried)


#: Everything page automation raises for a page problem (callers outside browser/ catch this tuple).
PAGE_ERRORS: tuple[type[Exception], ...] = (PageError, WebDriverException)


def _first_line(exc: WebDriverException) -> str:
    return str(exc.msg or exc).splitlines()[0]


def load_selectors(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """``resources/selectors.json`` (or ``path``): logical name → ordered CSS selectors."""
    source = Path(path) if path is not None else resource_path("selectors.json")
    data = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, list) and v for v in data.values()):
        raise ValueError(f"{source}: expected an object of name → non-empty list of CSS selectors")
    return {str(name): tuple(str(s) for s in selectors) for name, selectors in data.items()}


def normalise(text: str) -> str:
    """Loose key for asset names: ``EUR/USD OTC`` and ``EURUSD_otc`` both give ``eurusdotc``."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def parse_number(text: str | None) -> float | None:
    """First number in ``text`` with thousands separators removed (``10,000.00`` → 10000.0); None if none."""
    if not text:
        return None
    match = _NUMBER.search(text.replace(",", "").replace("\u202f", "").replace("\u2212", "-"))
    return float(match.group()) if match else None


def text_of(element: WebElement) -> str:
    """Visible or hidden text of an element (``textContent``), stripped."""
    return (element.get_attribute("textContent") or "").strip()


def find_chromedriver(explicit: str | Path | None = None) -> Path:
    """``explicit``, /usr/bin/chromedriver, or chromedriver on PATH; PageError when none exists."""
    for candidate in (explicit, DEFAULT_CHROMEDRIVER, shutil.which("chromedriver")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise PageError("chromedriver not found: install it (Debian: chromium-driver) or pass its path")


_SNAPSHOT = """
const [wanted] = arguments;
const out = {};
for (const [name, candidates] of Object.entries(wanted)) {
  out[name] = null;
  for (let index = 0; index < candidates.length; index++) {
    let nodes = [];
    try { nodes = document.querySelectorAll(candidates[index]); } catch (error) { continue; }
    if (!nodes.length) continue;
    const node = nodes[0];
    out[name] = {element: node, index: index, text: (node.textContent || '').trim(),
                 value: node.value === undefined ? null : String(node.value)};
    break;
  }
}
return out;
"""


@dataclass(frozen=True, slots=True)
class ElementState:
    """One element read by :meth:`TradingPage.snapshot`: the element, which selector matched, its text/value."""

    element: WebElement
    index: int
    text: str
    value: str | None


@dataclass(frozen=True, slots=True)
class Resolution:
    """Which selector of a logical name matched: ``index`` 0 is the first choice."""

    name: str
    selector: str
    index: int
    count: int


class TradingPage:
    """The trading tab of an attached browser, driven through logical element names."""

    def __init__(self, driver: WebDriver, selectors: dict[str, tuple[str, ...]] | None = None,
                 timeout: float = 10.0, *, attached: bool = False) -> None:
        self.driver = driver
        self.selectors = selectors if selectors is not None else load_selectors()
        self.timeout = timeout
        self.lock = threading.RLock()  # Selenium is not thread-safe: one operation at a time
        self._attached = attached
        self._detached = False

    # ------------------------------------------------------------------ attach

    @classmethod
    def attach(cls, host: str, port: int, *, chromedriver: str | Path | None = None,
               selectors: dict[str, tuple[str, ...]] | None = None, timeout: float = 10.0,
               url_hint: str | None = None) -> TradingPage:
        """Attach to the browser on ``host:port`` and switch to its trading tab.

        The trading tab is the first tab where the CALL button or the current asset can be found
        (preferring a URL containing ``url_hint``). PageError when the browser cannot be reached or
        no tab looks like the trading page.
        """
        from quantumflux.browser.chrome import devtools_version

        if devtools_version(host, port, timeout=2.0) is None:  # chromedriver would wait a minute to say so
            raise PageError(f"cannot attach to the browser on {host}:{port}: nothing answers DevTools there "
                            "(start it with `quantumflux chrome start`)")
        options = webdriver.ChromeOptions()
        options.debugger_address = f"{host}:{port}"
        try:
            driver = webdriver.Chrome(service=Service(str(find_chromedriver(chromedriver))), options=options)
        except WebDriverException as exc:
            raise PageError(f"cannot attach to the browser on {host}:{port}: {exc.msg or exc}") from exc
        page = cls(driver, selectors, timeout, attached=True)
        try:
            page.select_trading_tab(url_hint)
        except PageError:
            page.detach()
            raise
        return page

    def select_trading_tab(self, url_hint: str | None = None) -> None:
        """Switch the driver to the tab showing the trading page."""
        with self.lock:
            handles = list(self.driver.window_handles)
            scored: list[tuple[int, str]] = []
            for handle in handles:
                self.driver.switch_to.window(handle)
                url = self.driver.current_url or ""
                if self._matches_any("call_button") or self._matches_any("current_asset"):
                    scored.append((0 if url_hint and url_hint in url else 1, handle))
            if not scored:
                raise PageError(f"no tab of the browser shows the trading page ({len(handles)} tab(s) checked)")
            self.driver.switch_to.window(sorted(scored)[0][1])

    def detach(self) -> None:
        """End the WebDriver session and stop chromedriver; the browser and its tabs keep running."""
        if self._detached:
            return
        self._detached = True
        try:
            if self._attached:
                # With debuggerAddress chromedriver only disconnects: the browser was not started by it.
                self.driver.execute("quit")
        except WebDriverException:
            pass
        finally:
            self.driver.service.stop()

    def __enter__(self) -> TradingPage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    # -------------------------------------------------------------- selectors

    def candidates(self, name: str) -> tuple[str, ...]:
        try:
            return self.selectors[name]
        except KeyError:
            raise PageError(f"unknown page element {name!r}: not in selectors.json") from None

    def resolve(self, name: str, within: WebElement | None = None) -> Resolution | None:
        """The first selector of ``name`` that matches (inside ``within`` if given), or None."""
        found = self._first_match(name, within)
        return None if found is None else found[0]

    def _first_match(self, name: str, within: WebElement | None) -> tuple[Resolution, list[WebElement]] | None:
        root: Any = within if within is not None else self.driver
        for index, selector in enumerate(self.candidates(name)):
            try:
                found = root.find_elements(By.CSS_SELECTOR, selector)
            except InvalidSelectorException:
                continue
            if found:
                return Resolution(name, selector, index, len(found)), list(found)
        return None

    def snapshot(self, *names: str) -> dict[str, ElementState | None]:
        """Resolve several names (same first-match-wins fallback rule) and read them in one round trip."""
        wanted = {name: list(self.candidates(name)) for name in names}
        found = self.driver.execute_script(_SNAPSHOT, wanted) or {}
        return {name: None if not found.get(name) else ElementState(
            found[name]["element"], int(found[name]["index"]), found[name]["text"], found[name]["value"])
            for name in names}

    def _matches_any(self, name: str) -> bool:
        return self.resolve(name) is not None

    def find_all(self, name: str, within: WebElement | None = None) -> list[WebElement]:
        """Every element of the first matching selector of ``name`` (empty when none matches)."""
        found = self._first_match(name, within)
        return [] if found is None else found[1]

    def find(self, name: str, within: WebElement | None = None) -> WebElement:
        """The element of ``name``; SelectorError when no selector matches."""
        found = self.find_all(name, within)
        if not found:
            raise SelectorError(name, self.candidates(name))
        return found[0]

    def wait_for(self, name: str, timeout: float | None = None) -> WebElement:
        """Wait until ``name`` matches; SelectorError after the timeout."""
        try:
            return self.until(lambda: self.find_all(name)[0] if self.find_all(name) else None, timeout)
        except PageError:
            raise SelectorError(name, self.candidates(name)) from None

    def until(self, condition: Callable[[], T], timeout: float | None = None, message: str = "") -> T:
        """``WebDriverWait`` on ``condition`` (stale elements count as "not yet"); PageError on timeout."""
        def probe(_driver: WebDriver) -> T:
            try:
                return condition()
            except StaleElementReferenceException:
                return None  # type: ignore[return-value]

        try:
            return WebDriverWait(self.driver, timeout if timeout is not None else self.timeout,
                                 poll_frequency=0.05).until(probe)
        except TimeoutException:
            raise PageError(f"timed out waiting for {message or 'the page'}") from None

    def value_of(self, name: str, within: WebElement | None = None) -> str:
        """``data-hd-show`` when present (PocketOption keeps values there), else ``textContent``."""
        element = self.find(name, within)
        shown = element.get_attribute("data-hd-show")
        return shown.strip() if shown and shown.strip() else text_of(element)

    def click(self, element: WebElement) -> None:
        """Click ``element``; a click the browser cannot deliver becomes a PageError."""
        try:
            element.click()
            return
        except ElementNotInteractableException:
            # Clipped (a scrolled list): bring it into view once, the way a user would scroll to it.
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'nearest', inline: 'center'})", element)
        except WebDriverException as exc:
            raise PageError(f"could not click the element: {_first_line(exc)}") from exc
        try:
            element.click()
        except WebDriverException as exc:
            raise PageError(f"could not click the element: {_first_line(exc)}") from exc

    def type_into(self, name: str, text: str) -> WebElement:
        """Clear the input ``name`` and type ``text``."""
        field = self.find(name)
        field.clear()
        field.send_keys(text)
        return field

    def escape(self) -> None:
        """Close any open menu (Escape)."""
        from selenium.webdriver.common.keys import Keys

        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    def reload(self) -> None:
        """Reload the trading page (the broker then sends balance, assets and deals again)."""
        with self.lock:
            self.driver.refresh()
            self.wait_for("current_asset", timeout=self.timeout)
