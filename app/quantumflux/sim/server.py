"""The practice broker: a local server that speaks PocketOption's protocol and serves a trading page.

``PracticeBroker`` runs its own asyncio loop in a daemon thread (``start()`` returns once it
listens). One port serves the Socket.IO socket (``/socket.io/?EIO=4&transport=websocket``), the
page (``/``, ``/static/…``, ``/page-config.json``) and the loopback-only control API (``/control/…``).
See docs/practice-broker.md for the behaviour in full.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from websockets.asyncio.server import Server, ServerConnection, serve

from quantumflux.config import is_loopback_host
from quantumflux.core.model import Tick
from quantumflux.sim import http
from quantumflux.sim.assets import SimAsset, build_catalog, replay_asset, with_active
from quantumflux.sim.connection import ClientConnection
from quantumflux.sim.faults import FaultSpec
from quantumflux.sim.market import MarketBehaviour
from quantumflux.sim.orders import UID, LedgerEntry, OrderDesk
from quantumflux.sim.pending import PendingBook
from quantumflux.sim.prices import CompositePrices, PriceSource, SyntheticPrices, default_epoch
from quantumflux.sim.recorder import TickRecorder
from quantumflux.sim.replay import ReplayPrices
from quantumflux.sim.subscriptions import MAX_STREAMS
from quantumflux.sim.wire import Frame, malformed_frame

log = logging.getLogger(__name__)

SOCKET_QUERY = "socket.io/?EIO=4&transport=websocket"




def _check_settings(**values: float) -> None:
    """Raise ValueError naming the first setting that cannot work."""
    if not 0 <= values["port"] <= 65535:
        raise ValueError(f"port must be between 0 and 65535, got {values['port']}")
    for name in ("speed", "ping_interval_ms", "ping_timeout_ms", "min_amount"):
        if not values[name] > 0:
            raise ValueError(f"{name} must be positive, got {values[name]}")
    if not 1 <= values["min_expiry"] <= values["max_expiry"]:
        raise ValueError(f"expiry range {values['min_expiry']}..{values['max_expiry']} s is empty or below 1 s")
    if values["max_amount"] < values["min_amount"]:
        raise ValueError(f"amount range {values['min_amount']}..{values['max_amount']} is empty")


def _market(
    catalog: tuple[SimAsset, ...],
    seed: int,
    tick_rate: float,
    epoch: float,
    replay: Path | str | None,
    speed: float,
    history_seconds: float,
    now: float,
    tick_jitter: float = 0.8,
) -> tuple[list[SimAsset], dict[str, PriceSource]]:
    """The listed assets and the price source of each: synthetic, or the recording for replayed ones.

    A replayed asset is listed as open even where the catalog has it closed; one missing from the
    catalog is added.
    """
    assets = list(catalog)
    synthetic = SyntheticPrices(assets, seed, tick_rate, epoch, tick_jitter)
    sources: dict[str, PriceSource] = {asset.symbol: synthetic for asset in assets}
    if replay is None:
        return assets, sources
    recorded = ReplayPrices(Path(replay), start=now, speed=speed, history_seconds=history_seconds)
    index = {asset.symbol: position for position, asset in enumerate(assets)}
    for symbol in recorded.symbols:
        sources[symbol] = recorded
        if symbol in index:
            assets[index[symbol]] = with_active(assets[index[symbol]], True)
        else:
            digits = recorded.digits.get(symbol, 5)
            assets.append(replay_asset(symbol, len(assets) + 1, digits, recorded.first_price(symbol)))
    return assets, sources


class PracticeBroker(MarketBehaviour):
    """A protocol-faithful local PocketOption stand-in (see the module docstring)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        assets: int = 48,
        tick_rate: float = 4.0,
        tick_jitter: float = 0.8,
        replay: Path | str | None = None,
        speed: float = 1.0,
        faults: str | FaultSpec | None = None,
        session: str | None = None,
        ping_interval_ms: int = 25000,
        ping_timeout_ms: int = 20000,
        start_balance_demo: float = 10000.0,
        start_balance_real: float = 0.0,
        history_seconds: float = 7200.0,
        min_expiry: int = 5,
        max_expiry: int = 14400,
        min_amount: float = 1.0,
        max_amount: float = 20000.0,
        epoch: float | None = None,
        allow_remote: bool = False,
        clock_offset: float = 0.0,
    ) -> None:
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(f"refusing to bind {host!r}: the practice broker binds loopback unless allow_remote")
        if session is not None and not session.strip():
            raise ValueError("session must be a non-empty string")
        _check_settings(port=port, speed=speed, ping_interval_ms=ping_interval_ms, ping_timeout_ms=ping_timeout_ms,
                        min_expiry=min_expiry, max_expiry=max_expiry, min_amount=min_amount, max_amount=max_amount)
        self.host, self._port = host, port
        self.seed, self.tick_rate, self.history_seconds = seed, tick_rate, history_seconds
        self.ping_interval_ms, self.ping_timeout_ms = ping_interval_ms, ping_timeout_ms
        self.min_expiry = min_expiry
        self.clock_offset = float(clock_offset)
        self.faults = FaultSpec.coerce(faults)
        self.fault_rng = random.Random(f"faults-{seed}")
        self._wire_rng = random.Random(f"wire-{seed}")
        self._session = session
        self.page_session = session or f"practice-{random.Random(f'session-{seed}').getrandbits(64):016x}"
        now = time.time()
        self.epoch = float(epoch) if epoch is not None else default_epoch(now, history_seconds)
        catalog, sources = _market(build_catalog(assets, seed), seed, tick_rate, self.epoch,
                                   replay, speed, history_seconds, now, tick_jitter)
        self.assets: tuple[SimAsset, ...] = tuple(catalog)
        self._by_symbol = {asset.symbol: asset for asset in catalog}
        self._active = [asset.symbol for asset in catalog if asset.active]
        self.prices = CompositePrices(sources)
        self.desk = OrderDesk(
            self._by_symbol,
            self.prices,
            balance_demo=start_balance_demo,
            balance_real=start_balance_real,
            min_amount=min_amount,
            max_amount=max_amount,
            min_expiry=min_expiry,
            max_expiry=max_expiry,
        )
        self.pending = PendingBook(self._by_symbol, min_amount=min_amount, max_amount=max_amount,
                                   min_expiry=min_expiry, max_expiry=max_expiry)
        self._clients: set[ClientConnection] = set()
        self._charts: dict[bool, tuple[str, int]] = {}
        self._refuse_until = 0.0
        self.recorder = TickRecorder()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._restart_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> PracticeBroker:
        """Start listening (own loop in a daemon thread); returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("the practice broker is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="practice-broker", daemon=True)
        self._loop, self._thread = loop, thread
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_async(), loop).result(timeout=30)
        except BaseException:
            self._shutdown_loop()
            raise
        log.info("practice broker listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Close every socket and the listener, and end the loop thread. Safe to call twice."""
        if self._loop is None:
            return
        try:
            self._call(self._stop_async(), timeout=15)
        finally:
            self._shutdown_loop()

    def restart(self) -> None:
        """Close the listener and every socket, then listen again on the same port (state is kept)."""
        self._call(self.restart_listener(), timeout=15)

    def schedule_restart(self) -> None:
        """Restart shortly, from inside the loop (the control endpoint answers first)."""
        loop = self._require_loop()
        loop.call_soon_threadsafe(lambda: loop.call_later(0.1, lambda: self._keep(loop.create_task(self.restart_listener()))))

    def __enter__(self) -> PracticeBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        if not loop.is_running():
            loop.close()

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the practice broker is not running (call start() first)")
        return self._loop

    def _call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        loop = self._require_loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError("blocking broker call from inside its own loop")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=timeout)

    async def _listen(self, port: int) -> Server:
        return await serve(
            self._handle,
            self.host,
            port,
            process_request=lambda connection, request: http.route(self, connection, request),
            ping_interval=None,
            compression=None,
            max_size=2**20,
            close_timeout=1.0,
            server_header="QuantumFlux-practice-broker",
        )

    async def _start_async(self) -> None:
        self._server = await self._listen(self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(coro) for coro in (self._tick_loop(), self._housekeeping(), self._noise())]

    async def _stop_async(self) -> None:
        tasks = [*self._tasks, *self._background]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.get_running_loop().shutdown_default_executor()  # history worker threads end too

    async def restart_listener(self) -> None:
        """Close the listener and every socket, then listen again on the same port (on the loop)."""
        async with self._restart_lock:
            for client in list(self._clients):  # a restart is abrupt for the sockets, as a crash would be
                client.abort()
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
            self._server = await self._listen(self._port)
        log.info("practice broker restarted on port %s", self._port)

    async def _handle(self, socket: ServerConnection) -> None:
        connection = ClientConnection(self, socket)
        self._clients.add(connection)
        try:
            await connection.run()
        finally:
            self._clients.discard(connection)

    # ------------------------------------------------------------------ properties

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The page address, ``http://127.0.0.1:PORT/``."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port}/"

    def tab_urls(self, symbols: list[str] | tuple[str, ...]) -> list[str]:
        """Page addresses that together stream ``symbols``: one tab per four assets (the most the broker
        streams to one socket), each opened on its first asset with the others as further charts."""
        urls = []
        for start in range(0, len(symbols), MAX_STREAMS):
            group = [quote(symbol, safe="") for symbol in symbols[start : start + MAX_STREAMS]]
            extra = f"&charts={','.join(group[1:])}" if len(group) > 1 else ""
            urls.append(f"{self.url}?asset={group[0]}{extra}")
        return urls

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] + SOCKET_QUERY

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every order request so far, in arrival order (frozen entries)."""
        return self.desk.ledger

    @property
    def balances(self) -> dict[str, float]:
        return {"demo": self.desk.balance(True), "real": self.desk.balance(False)}

    def price_at(self, symbol: str, t: float) -> float | None:
        """The price path's price at ``t`` (the last tick at or before it)."""
        return self.prices.price_at(symbol, t)

    def price_before(self, symbol: str, t: float) -> float | None:
        """The last tick strictly before ``t``: the close of a deal expiring at ``t``."""
        return self.prices.price_before(symbol, t)

    def emitted_ticks(self, since: float | None = None) -> list[Tick]:
        """Ticks sent while at least one authenticated client was connected (``time >= since``)."""
        return self.recorder.ticks(since)

    def page_config(self) -> dict[str, Any]:
        """What the page reads from ``/page-config.json``."""
        return {
            "session": self.page_session,
            "slow_buttons_ms": self.faults.slow_buttons_ms,
            "rename_selectors": dict(self.faults.rename_selectors),
            "isDemo": 1,
            "uid": UID,
            "socket_path": "/" + SOCKET_QUERY,
            "default_asset": self.default_asset(),
            "default_period": 60,
            "min_expiry": self.min_expiry,
            "profile": {"name": "Practice Trader", "id": UID, "email": "practice@localhost",
                        "currency": "USD", "level": "Standard"},
        }

    def state(self) -> dict[str, Any]:
        clients = [client.info() for client in list(self._clients)]
        return {"port": self._port, "faults": self.faults.to_dict(), "balances": self.balances,
                "refusing": self.refusing(), "clients": clients, "orders": len(self.desk.ledger)}

    # ------------------------------------------------------------------ faults

    def set_faults(self, faults: str | FaultSpec | None) -> FaultSpec:
        """Replace the active faults (raises ValueError for a bad spec; the old ones stay then).

        Without ``refuse_reconnect`` in the new faults, a refusal window still running ends now.
        """
        self.faults = FaultSpec.coerce(faults)
        if not self.faults.refuse_reconnect:
            self._refuse_until = 0.0
        log.info("practice broker faults: %s", self.faults or "none")
        return self.faults

    def refusing(self) -> bool:
        return time.time() < self._refuse_until

    def note_drop(self) -> None:
        """A socket was dropped by a fault: start refusing reconnects if configured."""
        if self.faults.refuse_reconnect:
            self._refuse_until = max(self._refuse_until, time.time() + self.faults.refuse_reconnect)

    def drop_connections(self) -> int:
        """Drop every socket abruptly now (counts as a fault drop); returns how many."""
        loop = self._require_loop()
        if threading.current_thread() is self._thread:
            return self._drop_now()

        async def drop() -> int:
            return self._drop_now()

        return int(asyncio.run_coroutine_threadsafe(drop(), loop).result(timeout=10))

    def _drop_now(self) -> int:
        clients = list(self._clients)
        self.note_drop()
        for client in clients:
            client.abort()
        return len(clients)

    def malformed_frame(self) -> Frame:
        return malformed_frame(self.fault_rng)
