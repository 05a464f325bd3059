"""Session monitor: the trading session as the page shows it and as the broker's events tell it.

Two views of the same facts — balance, demo/real, open-trade count, socket connected and
authenticated, the page's asset and period — one read from the DOM (through selectors.json),
one from the capture (:class:`~quantumflux.services.trading_events.BrokerView` and the hub's
state). A field either side has not seen is ``None`` and never compared; a field both know
and disagree on gives a warning (a stale page, a broken selector, a missed event).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from quantumflux.browser import page_actions
from quantumflux.browser.page import PAGE_ERRORS, TradingPage
from quantumflux.services.trading_events import BrokerView, asset_key


@dataclass(frozen=True, slots=True)
class SessionView:
    """One side's picture; ``None`` = not known from this side."""

    balance: float | None = None
    account: str | None = None  # demo | real
    open_trades: int | None = None
    connected: bool | None = None
    authenticated: bool | None = None
    asset: str | None = None
    period: int | None = None


@dataclass(frozen=True, slots=True)
class SessionReport:
    """Both views and the disagreements between them."""

    page: SessionView
    broker: SessionView
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"page": asdict(self.page), "broker": asdict(self.broker), "warnings": list(self.warnings)}


def page_view(page: TradingPage) -> tuple[SessionView, list[str]]:
    """What the DOM shows; unreadable fields are None and named in the returned problems."""
    problems: list[str] = []

    def read(name: str, reader: Any) -> Any:
        try:
            return reader(page)
        except PAGE_ERRORS as exc:
            problems.append(f"page {name} unreadable: {str(exc).splitlines()[0]}")
            return None

    with page.lock:
        return SessionView(
            balance=read("balance", page_actions.balance),
            account=read("account type", page_actions.account_type),
            open_trades=read("open trades", page_actions.open_deal_count),
            asset=read("asset", page_actions.current_asset_label),
            period=read("period", page_actions.current_period),
        ), problems


def broker_view(view: BrokerView, hub: Any, account: str | None) -> SessionView:
    """What the broker's events said (the account whose balance is shown follows the login seen,
    else the page's account)."""
    state = hub.state
    is_demo = view.login_demo if view.login_demo is not None else (None if account is None else account == "demo")
    if is_demo is None and len(view.balances) == 1:
        is_demo = next(iter(view.balances))
    choice = view.page_choice
    return SessionView(
        balance=None if is_demo is None else view.balance(is_demo),
        account=None if view.login_demo is None else ("demo" if view.login_demo else "real"),
        open_trades=None if view.open_deals is None else len(view.open_deals),
        connected=bool(state.connected and state.broker_sockets),
        authenticated=True if (state.authenticated or view.logged_in or view.balances) else None,
        asset=None if choice is None else choice.asset,
        period=None if choice is None else choice.period,
    )


def compare(page: SessionView, broker: SessionView, view: BrokerView | None = None) -> list[str]:
    """Warnings for every field both sides know and disagree on."""
    warnings = []
    if page.balance is not None and broker.balance is not None and abs(page.balance - broker.balance) >= 0.005:
        warnings.append(f"balance: the page shows {page.balance:,.2f}, the broker said {broker.balance:,.2f}")
    for name in ("account", "open_trades", "period"):
        shown, told = getattr(page, name), getattr(broker, name)
        if shown is not None and told is not None and shown != told:
            warnings.append(f"{name.replace('_', ' ')}: the page shows {shown}, the broker said {told}")
    if page.asset is not None and broker.asset is not None and not _same_asset(page.asset, broker.asset, view):
        warnings.append(f"asset: the page shows {page.asset}, the broker said {broker.asset}")
    if broker.connected is False:
        warnings.append("no broker socket is connected in the captured browser")
    return warnings


def _same_asset(label: str, symbol: str, view: BrokerView | None) -> bool:
    known = view.asset(symbol) if view is not None else None
    names = {asset_key(symbol)} | ({asset_key(known.label)} if known is not None else set())
    return asset_key(label) in names


class SessionMonitor:
    """Snapshot both views on demand (call from any thread; the page lock serialises DOM reads)."""

    def __init__(self, page: TradingPage, view: BrokerView, hub: Any) -> None:
        self.page = page
        self.view = view
        self.hub = hub

    def snapshot(self) -> SessionReport:
        shown, problems = page_view(self.page)
        told = broker_view(self.view, self.hub, shown.account)
        return SessionReport(shown, told, tuple(problems + compare(shown, told, self.view)))
