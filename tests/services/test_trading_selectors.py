"""A renamed page element: doctor names it, a trade fails with a clear error, nothing is clicked by mistake."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from trading_session_env import SessionEnv, start_session  # noqa: E402

from quantumflux.browser.doctor import broken, check_selectors  # noqa: E402
from quantumflux.browser.page import SelectorError  # noqa: E402
from quantumflux.browser.page_actions import current_asset_label, favorites  # noqa: E402
from quantumflux.browser.page_trade import click_direction  # noqa: E402
from quantumflux.core.model import Direction  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionEnv]:
    environment = start_session(tmp_path_factory.mktemp("renamed"), seed=8,
                                faults="rename_selector=call_button:qf-moved-call,rename_selector=asset_picker_open")
    yield environment
    environment.stop()


def test_doctor_names_the_renamed_element_and_only_it(renamed: SessionEnv) -> None:
    checks = {check.name: check for check in check_selectors(renamed.session.page)}
    assert broken(list(checks.values())) == ["call_button"]
    assert checks["call_button"].counts == (0,) * len(checks["call_button"].candidates)
    assert "BROKEN" in checks["call_button"].message
    assert checks["put_button"].status == "ok"
    picker = checks["asset_picker_open"]  # its first two selectors broke, the last still finds the label
    assert (picker.status, picker.index, picker.selector) == ("fallback", 2, ".current-symbol")
    assert "fallback 2 in use" in picker.message


def test_trade_on_the_renamed_button_fails_clearly_and_sends_nothing(renamed: SessionEnv) -> None:
    symbol = next(a.symbol for a in renamed.broker.assets if a.active)
    result = renamed.session.place(symbol, "call", 2, 5)
    assert result.status == "failed"
    assert "'call_button' not found" in result.reason and "quantumflux doctor" in result.reason
    assert renamed.broker.state()["orders"] == 0  # no openOrder of any kind reached the broker
    assert renamed.journal.get(result.client_id).status == "failed"
    with pytest.raises(SelectorError) as caught:
        click_direction(renamed.session.page, Direction.CALL)
    assert caught.value.name == "call_button" and len(caught.value.tried) == 4
    assert renamed.broker.state()["orders"] == 0


def test_the_other_button_still_trades_through_the_fallback_picker(renamed: SessionEnv) -> None:
    page = renamed.session.page
    shown = {row.symbol for row in favorites(page)}
    target = next(a for a in renamed.broker.assets if a.active and a.symbol not in shown)
    result = renamed.session.place(target.symbol, "put", 2, 5)
    assert result.status == "confirmed", result
    assert current_asset_label(page) == target.label
    ledger = renamed.broker.ledger
    assert len(ledger) == 1 and ledger[0].direction == "put" and ledger[0].deal_id == result.deal_id
    assert ledger[0].asset == target.symbol
