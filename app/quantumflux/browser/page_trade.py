"""The trade panel: amount, expiry and the CALL/PUT buttons.

``prepare_order`` fills the panel and checks what the page then shows (asset, amount, expiry)
*before* anything is clicked; ``click_direction`` resolves the button first and raises
:class:`~quantumflux.browser.page.SelectorError` without clicking anything when it is missing.
Whether an order was placed is never decided here: only the broker's events say that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from quantumflux.browser.page import PageError, SelectorError, TradingPage, parse_number, text_of
from quantumflux.core.model import Direction
from quantumflux.core.orders import parse_clock

_BUTTONS = {Direction.CALL: "call_button", Direction.PUT: "put_button"}


@dataclass(frozen=True, slots=True)
class PanelState:
    """What the trade panel shows."""

    amount: float | None
    expiry: int | None


def clock_text(seconds: int) -> str:
    """``HH:MM:SS`` as the page shows an expiry."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def panel_state(page: TradingPage) -> PanelState:
    """Amount and expiry as the panel shows them now."""
    amount_field = page.find("amount_input")
    return PanelState(parse_number(amount_field.get_attribute("value")),
                      parse_clock(text_of(page.find("expiry_value"))))


def amount_text(amount: float) -> str:
    """The stake as typed into the page: ``2``, ``2.5``, ``2.55``."""
    if not math.isfinite(amount) or amount <= 0:
        raise ValueError(f"amount must be a positive number, got {amount!r}")
    return f"{round(amount, 2):.2f}".rstrip("0").rstrip(".")


def set_amount(page: TradingPage, amount: float) -> None:
    """Type the stake and check the field holds it."""
    with page.lock:
        field = page.find("amount_input")
        if parse_number(field.get_attribute("value")) != round(amount, 2):
            _type_amount(page, field, amount)


def _type_amount(page: TradingPage, field: Any, amount: float) -> None:
    text = amount_text(amount)
    field.clear()
    field.send_keys(text)
    page.until(lambda: parse_number(field.get_attribute("value")) == round(amount, 2),
               message=f"the amount field to show {text}")


def set_expiry(page: TradingPage, seconds: int) -> None:
    """Set the expiry (any whole number of seconds: h·3600 + m·60 + s) and check the page shows it."""
    if isinstance(seconds, bool) or int(seconds) != seconds or seconds <= 0:
        raise ValueError(f"expiry must be a positive whole number of seconds, got {seconds!r}")
    seconds = int(seconds)
    with page.lock:
        shown = page.find("expiry_value")
        if parse_clock(text_of(shown)) == seconds:
            return
        page.click(shown)
        hours_field = page.find("expiry_hours_input")
        page.until(hours_field.is_displayed, message="the expiry editor to open")
        parts = (seconds // 3600, seconds % 3600 // 60, seconds % 60)
        for name, value in zip(("expiry_hours_input", "expiry_minutes_input", "expiry_seconds_input"), parts,
                               strict=True):
            page.type_into(name, str(value))
        page.click(page.find("expiry_value"))  # closes the editor
        try:
            page.until(lambda: parse_clock(text_of(page.find("expiry_value"))) == seconds,
                       timeout=3.0, message="the expiry")
        except PageError:
            shown_text = text_of(page.find("expiry_value"))
            raise PageError(f"the page shows expiry {shown_text}, not {clock_text(seconds)}: "
                            "the asset may not allow it") from None


def prepare_order(page: TradingPage, direction: Direction, amount: float, expiry: int,
                  asset_label: str | None = None) -> None:
    """Check the button exists, fill amount and expiry (each verified as shown); nothing is clicked to trade.

    With ``asset_label`` the page must also still show that asset (someone may have switched it).
    """
    button = _BUTTONS[Direction.parse(direction)]
    with page.lock:
        names = (button, "amount_input", "expiry_value") + (("current_asset",) if asset_label else ())
        state = page.snapshot(*names)  # one round trip for the usual case
        for name, found in state.items():
            if found is None:
                raise SelectorError(name, page.candidates(name))  # before touching anything
        if asset_label and state["current_asset"].text != asset_label:  # type: ignore[union-attr]
            raise PageError(f"the page shows {state['current_asset'].text}, not {asset_label}")  # type: ignore[union-attr]
        amount_state, expiry_state = state["amount_input"], state["expiry_value"]
        if parse_number(amount_state.value) != round(amount, 2):  # type: ignore[union-attr]
            _type_amount(page, amount_state.element, amount)  # type: ignore[union-attr]
        if parse_clock(expiry_state.text) != expiry:  # type: ignore[union-attr]
            set_expiry(page, expiry)


def click_direction(page: TradingPage, direction: Direction) -> None:
    """Click CALL or PUT (the button is found first; a missing button raises without a click)."""
    with page.lock:
        button = page.find(_BUTTONS[Direction.parse(direction)])
        page.click(button)
