"""FastAPI application factory: routes are one-liners over the service facade.

Every route but ``/health`` needs ``Authorization: Bearer <token>`` (the WebSocket takes
``?token=`` too), checked before any body is read; bodies are capped and the ``Host`` must be a
loopback name unless remote access is allowed (:mod:`quantumflux.api.guard`). CORS is off unless
origins are configured. Errors are JSON ``{"error": "…"}`` with the right status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Query,
    Response,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.concurrency import run_in_threadpool

from quantumflux import __version__
from quantumflux.api import schemas
from quantumflux.api.errors import ApiError, install_error_handlers
from quantumflux.api.guard import ApiGuard
from quantumflux.api.security import token_matches
from quantumflux.api.stream import MAX_TOPIC_LENGTH, MAX_TOPICS, StreamHub
from quantumflux.api.stream_bridge import StreamBridge
from quantumflux.services.facade import QuantumFluxService, ServiceError


def create_app(service: QuantumFluxService, token: str, *, cors_origins: list[str] | None = None,
               allow_remote: bool = False) -> FastAPI:
    """The API app over ``service``. ``allow_remote`` lets any ``Host`` in (see :mod:`quantumflux.api.guard`)."""
    hub = StreamHub()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.bind_loop(asyncio.get_running_loop())
        yield

    app = FastAPI(title="QuantumFlux API", version=__version__, lifespan=lifespan,
                  description="Market data, signals, backtests and trading over the trader's own browser session.")
    install_error_handlers(app)
    # Host check, token before the body is read, body size cap; inside CORS so refusals carry CORS headers.
    app.add_middleware(ApiGuard, token=token, allow_remote=allow_remote)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    bridge = StreamBridge(service, hub)
    app.state.service, app.state.hub, app.state.bridge = service, hub, bridge

    async def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        # async: checked on the event loop, no thread hop per request (the guard checked it already; this
        # keeps the routes safe on their own and documents the scheme in the OpenAPI schema)
        if not token_matches(token, authorization):
            raise HTTPException(401, "missing or wrong bearer token (see `quantumflux api token`)",
                                headers={"WWW-Authenticate": "Bearer"})

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            raise ApiError(str(exc), exc.status) from exc

    @app.get("/health", response_model=schemas.Health, tags=["status"])
    def health() -> dict[str, Any]:
        return service.health()

    api = APIRouter(dependencies=[Depends(require_token)])

    @api.get("/status", tags=["status"])
    def status() -> dict[str, Any]:
        return {**call(service.status), "stream": {"subscribers": hub.subscriber_count, "dropped": hub.dropped_total,
                                                    "candle_series": bridge.watched_count}}

    @api.get("/assets", response_model=list[schemas.AssetOut], tags=["market"])
    def assets() -> list[dict[str, Any]]:
        return call(service.assets)

    @api.get("/candles/{asset}", response_model=schemas.CandlesOut, tags=["market"])
    async def candles(asset: str, timeframe: str = "1m", count: Annotated[int, Query(ge=1, le=100_000)] = 100,
                      since: float | None = None) -> Response:
        # The hot route: answered on the event loop (a few hundred microseconds of cached JSON under the
        # market's lock); only an asset whose stored history is not read yet goes to a worker thread.
        if service.stored_ready(asset):
            body = call(service.candles_json, asset, timeframe, count, since)
        else:
            body = await run_in_threadpool(call, service.candles_json, asset, timeframe, count, since)
        return Response(body, media_type="application/json")

    @api.get("/ticks/{asset}", response_model=schemas.TicksOut, tags=["market"])
    def ticks(asset: str, since: float | None = None,
              limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000) -> dict[str, Any]:
        return call(service.ticks, asset, since, limit)

    @api.get("/indicators/{asset}", tags=["market"])
    def indicators(asset: str, timeframe: str = "1m", names: str = "sma,rsi",
                   count: Annotated[int, Query(ge=1, le=100_000)] = 100) -> dict[str, Any]:
        return call(service.indicators, asset, timeframe, [n.strip() for n in names.split(",") if n.strip()], count)

    @api.get("/signals/{asset}", response_model=schemas.SignalsOut, tags=["strategies"])
    def signals(asset: str, strategy: str = "sma_cross", timeframe: str = "1m",
                count: Annotated[int, Query(ge=1, le=10_000)] = 20, expiry: str | None = None) -> dict[str, Any]:
        return call(service.signals, asset, strategy, timeframe, None, count, expiry)

    @api.get("/strategies", response_model=list[schemas.StrategyOut], tags=["strategies"])
    def strategies() -> list[dict[str, Any]]:
        return call(service.strategies)

    @api.get("/trades", tags=["trading"])
    def trades(status: str | None = None) -> list[dict[str, Any]]:
        return call(service.trades, status)

    @api.get("/performance", tags=["trading"])
    def performance(strategy: str | None = None, account: Literal["paper", "demo", "real"] | None = None,
                    window: Annotated[int, Query(ge=1, le=100_000)] = 20, backtest: bool = False,
                    timeframe: str = "1m") -> dict[str, Any]:
        return call(service.performance, strategy=strategy, account=account, window=window, backtest=backtest,
                    timeframe=timeframe)

    @api.post("/backtests", response_model=schemas.JobOut, status_code=202, tags=["strategies"])
    def backtest(body: schemas.BacktestIn) -> dict[str, Any]:
        return call(service.start_backtest, **body.model_dump()).as_dict()

    @api.post("/abtests", response_model=schemas.JobOut, status_code=202, tags=["strategies"])
    def abtest(body: schemas.AbTestIn) -> dict[str, Any]:
        return call(service.start_abtest, **body.model_dump()).as_dict()

    @api.get("/jobs/{job_id}", response_model=schemas.JobOut, tags=["strategies"])
    def job(job_id: str) -> dict[str, Any]:
        return call(service.job, job_id).as_dict()

    @api.get("/profile", tags=["account"])
    def profile() -> dict[str, Any]:
        return call(service.profile)

    @api.get("/favorites", tags=["account"])
    def favorites(min_payout: Annotated[float | None, Query(ge=0, le=1000)] = None) -> dict[str, Any]:
        return call(service.favorites, min_payout=min_payout)

    @api.post("/favorites", tags=["account"])
    def change_favorites(body: schemas.FavoritesIn) -> dict[str, Any]:
        return call(service.favorites, **body.model_dump())

    @api.post("/page/asset", tags=["account"])
    def show_asset(body: schemas.PageAssetIn) -> dict[str, Any]:
        return call(service.show_asset, body.asset, body.period)

    @api.get("/page/doctor", tags=["account"])
    def doctor() -> dict[str, Any]:
        return call(service.doctor)

    @api.get("/session", tags=["account"])
    def session(sample: Annotated[float, Query(ge=0, le=60)] = 0.0, refresh: bool = False) -> dict[str, Any]:
        return call(service.session, sample, refresh)

    @api.post("/trades", tags=["trading"])
    def place_trade(body: schemas.TradeIn) -> dict[str, Any]:
        return call(service.place_trade, **body.model_dump())

    @api.get("/strategies/running", tags=["strategies"])
    def running_strategies() -> list[dict[str, Any]]:
        return call(service.running_strategies)

    @api.post("/strategies/{name}/enable", tags=["strategies"])
    def enable_strategy(name: str, body: schemas.StrategyEnableIn) -> dict[str, Any]:
        return call(service.enable_strategy, name, **body.model_dump())

    @api.post("/strategies/{label}/disable", tags=["strategies"])
    def disable_strategy(label: str) -> dict[str, Any]:
        return call(service.disable_strategy, label)

    @api.post("/collector/start", tags=["collector"])
    def collector_start(body: schemas.CollectorIn | None = None) -> dict[str, Any]:
        body = body or schemas.CollectorIn()
        return call(service.start_collector, tuple(body.timeframes), body.assets)

    @api.post("/collector/stop", tags=["collector"])
    def collector_stop() -> dict[str, Any]:
        return call(service.stop_collector)

    app.include_router(api)

    @app.websocket("/ws/stream")
    async def stream(ws: WebSocket) -> None:
        supplied = ws.headers.get("authorization") or (f"Bearer {ws.query_params.get('token', '')}")
        if not token_matches(token, supplied):
            await ws.close(code=4401, reason="missing or wrong bearer token")
            return
        await ws.accept()
        hub.bind_loop(asyncio.get_running_loop())
        sub = hub.subscribe()
        sender = asyncio.create_task(_send_loop(ws, sub))
        try:
            await _receive_loop(ws, sub, bridge)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            hub.unsubscribe(sub)
            await run_in_threadpool(bridge.prune, hub.topics())  # candle series nobody watches any more

    return app


async def _receive_loop(ws: WebSocket, sub: Any, bridge: StreamBridge) -> None:
    """Subscriptions until the client leaves; a message that is not JSON text closes with 1003."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        try:
            request = json.loads(text) if text is not None else None
        except ValueError:
            request = None
        if request is None:
            await ws.close(code=1003, reason="send JSON text: {\"subscribe\": [topics]}")
            return
        topics = request.get("subscribe") if isinstance(request, dict) else None
        if not isinstance(topics, list) or not all(isinstance(t, str) and 0 < len(t) <= MAX_TOPIC_LENGTH
                                                   for t in topics):
            await ws.send_json({"error": "send {\"subscribe\": [\"candles:ASSET:1m\", \"ticks:ASSET\", …]} "
                                         f"(topics of 1 to {MAX_TOPIC_LENGTH} characters)"})
            continue
        wanted = sub.topics | set(topics)
        if len(wanted) > MAX_TOPICS:
            await ws.send_json({"error": f"too many topics: at most {MAX_TOPICS} per connection "
                                         f"({len(wanted)} asked); nothing was subscribed",
                                "subscribed": sorted(sub.topics)})
            continue
        new = sorted(wanted - sub.topics)
        sub.topics.update(new)  # first: a concurrent prune (another client leaving) then keeps these series
        await run_in_threadpool(bridge.watch, new)  # may read stored candles: never on the event loop
        await ws.send_json({"subscribed": sorted(sub.topics)})


async def _send_loop(ws: WebSocket, sub: Any) -> None:
    reported = 0
    while True:
        message = await sub.queue.get()
        if sub.dropped != reported:
            message = {**message, "dropped": sub.dropped}
            reported = sub.dropped
        await ws.send_json(message)
