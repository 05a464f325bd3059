"""The facade's live operations: the trading page (orders, profile, favorites, session, selectors), the
collector, the capture and the strategy runner of a connected application. Page actions run one at a time
under the trading session's page lock, so an order in progress is never disturbed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from quantumflux.services.facade_base import OperationsBase, ServiceError, timeframe_of
from quantumflux.services.market_state import MarketState

if TYPE_CHECKING:
    from quantumflux.services.strategy_runner import StrategyRunner
    from quantumflux.services.trading import TradingSession
    from quantumflux.storage.journal import TradeJournal

T = TypeVar("T")


class LiveOperations(OperationsBase):
    """Operations that need the application connected to a browser (or the practice broker)."""

    def capture_status(self, sample: float = 3.0) -> dict[str, Any]:
        """The page sockets the capture sees (PocketOption or not, login, frames, ticks), after watching up to
        ``sample`` seconds for a logged-in PocketOption socket."""
        hub = self.app.hub
        if hub is None:
            raise ServiceError("no live capture: connect to a browser first", 409)
        deadline = time.monotonic() + sample
        while time.monotonic() < deadline and not (hub.state.authenticated and hub.state.broker_sockets):
            time.sleep(0.1)
        state = hub.state
        return {
            "sockets": [{"id": s.socket, "url": s.url.split("?", 1)[0], "pocketoption": s.broker, "login": s.login,
                         "frames": s.frames, "ticks": s.ticks} for s in state.sockets],
            "broker_socket": bool(state.broker_sockets),
            "authenticated": state.authenticated or any(s.ticks and s.login != "rejected" for s in state.broker_sockets),
            "login_rejected": state.login_rejected_seen and not state.login_ok_seen,
        }

    def start_collector(self, timeframes: tuple[str, ...] = ("1m",), assets: list[str] | None = None) -> dict[str, Any]:
        collector = self._connected("the collector").collector
        assert collector is not None
        try:
            collector.start(timeframes, assets)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        except OSError as exc:  # the data directory is not writable
            raise ServiceError(f"cannot write the data files: {exc}", 409) from exc
        return {"running": True}

    def stop_collector(self) -> dict[str, Any]:
        if self.app.collector is not None:
            self.app.collector.stop()
        return {"running": False}

    def require_trading(self) -> TradingSession:
        """The one page-automation trading session of the application."""
        trading = self._connected("trading").trading
        if trading is None:
            raise ServiceError("trading is not available in this session (read-only connection)", 409)
        return trading

    def _page_call(self, call: Callable[[TradingSession], T]) -> T:
        from quantumflux.services.trading import PAGE_ERRORS

        trading = self.require_trading()
        try:
            with trading.page_lock:  # one page action at a time: an order in progress is never disturbed
                return call(trading)
        except PAGE_ERRORS as exc:
            raise ServiceError(f"the trading page did not answer: {exc}", 409) from exc

    def place_trade(self, *, client_id: str, asset: str, direction: str, amount: float, expiry: str | int = "60s",
                    real: bool = False, dry_run: bool = False, source: str = "api",
                    wait: float | None = None) -> dict[str, Any]:
        """One order through the application's trading session (its page lock queues concurrent orders);
        ``wait`` seconds for the result (outcome and profit) when given."""
        from quantumflux.storage.journal import AWAITING_RESULT, JournalError

        try:
            result = self._page_call(lambda t: t.place(asset, direction, amount, expiry, source=source,
                                                       client_id=client_id, real=real, dry_run=dry_run))
            if wait is not None and result.status in AWAITING_RESULT:
                result = self.require_trading().wait_result(result.client_id, timeout=wait)
        except ValueError as exc:  # a bad direction, amount or expiry
            raise ServiceError(str(exc)) from exc
        except JournalError as exc:
            raise ServiceError(f"the trade journal: {exc}", 409) from exc
        return result.to_dict()

    def journal(self) -> TradeJournal:
        """The application's trade journal (for exports)."""
        return self.app.journal

    def profile(self, mask: bool = True) -> dict[str, Any]:
        from quantumflux.browser.page_actions import read_profile

        return self._page_call(lambda t: read_profile(t.page).to_dict(mask=mask))

    def favorites(self, *, add: list[str] | tuple[str, ...] = (), remove: list[str] | tuple[str, ...] = (),
                  select: str | None = None, min_payout: float | None = None) -> dict[str, Any]:
        """The page's favorites (payout, open) after adding/removing some and selecting by payout."""
        from quantumflux.browser import page_actions

        if min_payout is not None and not 0 <= min_payout <= 1000:
            raise ServiceError(f"min_payout must be a percentage, got {min_payout}")
        if select not in (None, "first", "last", "all"):
            raise ServiceError(f"select must be first, last or all, got {select!r}")

        def work(t: TradingSession) -> dict[str, Any]:
            changed = [a for a in add if page_actions.set_favorite(t.page, a, True)]
            changed += [a for a in remove if page_actions.set_favorite(t.page, a, False)]
            selected = page_actions.select_favorites(t.page, min_payout or 0.0, select) if select else []
            rows = page_actions.favorites(t.page)
            listed = [r for r in rows if min_payout is None or (r.payout is not None and r.payout >= min_payout)]
            return {"favorites": [dataclasses.asdict(r) for r in listed], "changed": changed,
                    "selected": [r.symbol for r in selected],
                    "current": next((r.symbol for r in rows if r.current), None)}

        return self._page_call(work)

    def show_asset(self, symbol: str, period: str | int | None = None) -> dict[str, Any]:
        """Make the page show ``symbol`` (and the chart ``period``); what it shows afterwards."""
        from quantumflux.browser import page_actions

        seconds = timeframe_of(period, "period").seconds if period is not None else None

        def work(t: TradingSession) -> dict[str, Any]:
            known = t.view.asset(symbol)
            row = page_actions.find_asset(t.page, known.symbol if known else symbol, known.label if known else None)
            if row is None:
                raise ServiceError(f"asset {symbol!r} is not in the page's asset list", 404)
            before = self.market.read(lambda state: state.page_choice)
            t.switch_page(row.symbol, seconds)
            label = page_actions.current_asset_label(t.page)
            shown = known.symbol if known else self._page_symbol(label, before) or row.symbol
            return {"asset": shown, "label": label, "period": page_actions.current_period(t.page)}

        return self._page_call(work)

    def _page_symbol(self, label: str, before: Any, wait: float = 3.0) -> str | None:
        """The broker's symbol of the asset the page shows: the page lists labels only, but names the symbol in
        the ``changeSymbol`` it sends when it switches (or the broker's asset list has the label)."""
        from quantumflux.services.trading_events import asset_key

        def read(state: MarketState) -> str | None:
            choice = state.page_choice
            if choice is not None and (choice != before or asset_key(choice.asset) == asset_key(label)):
                return choice.asset
            return next((a.symbol for a in state.assets.values() if asset_key(a.label) == asset_key(label)), None)

        deadline = time.monotonic() + wait
        while (found := self.market.read(read)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def doctor(self) -> dict[str, Any]:
        """Every selector of the selectors file checked on the live page."""
        from quantumflux.browser.doctor import broken, check_selectors

        checks = self._page_call(lambda t: check_selectors(t.page))
        names = broken(checks)
        return {"ok": not names, "broken": names, "fallback": [c.name for c in checks if c.status == "fallback"],
                "checks": [c.to_dict() for c in checks]}

    def session(self, sample: float = 0.0, refresh: bool = False) -> dict[str, Any]:
        """The trading session as the page shows it and as the broker's events say, with warnings.

        ``refresh`` reloads the page first so the broker sends balance and deals again; otherwise up
        to ``sample`` seconds are given for the broker's balance and open deals to arrive."""
        from quantumflux.services.session_monitor import SessionMonitor

        def work(t: TradingSession) -> dict[str, Any]:
            view = t.view
            if refresh:
                since = time.time()  # capture events carry wall-clock receive times
                t.page.reload()
                view.wait_for_lists(since, max(sample, 10.0))
            elif sample > 0:
                with view.changed:
                    view.changed.wait_for(lambda: bool(view.balances) and view.open_deals is not None, sample)
            return SessionMonitor(t.page, view, self.app.hub).snapshot().to_dict()

        return self._page_call(work)

    def _require_runner(self) -> StrategyRunner:
        runner = self._connected("running strategies").runner
        if runner is None:
            raise ServiceError("strategies are not available in this session (read-only connection)", 409)
        return runner

    def enable_strategy(self, name: str, *, assets: list[str], timeframe: str = "1m", expiry: str | None = None,
                        mode: str = "paper", params: dict[str, Any] | None = None, stake: float = 1.0,
                        label: str | None = None) -> dict[str, Any]:
        runner = self._require_runner()
        try:
            status = runner.enable(name, params or {}, assets, timeframe,
                                   timeframe_of(expiry, "expiry").seconds if expiry else None, mode, stake=stake,
                                   label=label)
        except KeyError as exc:
            raise ServiceError(f"unknown strategy {name!r}", 404) from exc
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        return status.to_dict()

    def disable_strategy(self, label: str) -> dict[str, Any]:
        if not self._require_runner().disable(label):
            raise ServiceError(f"no running strategy {label!r}", 404)
        return {"label": label, "running": False}

    def running_strategies(self) -> list[dict[str, Any]]:
        runner = self.app.runner
        return [] if runner is None else [s.to_dict() for s in runner.status()]
