from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumflux.config import load_settings


def test_defaults_env_file_and_overrides_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"chrome_port": 9333, "candles_per_file": 50}))
    monkeypatch.setenv("QF_CANDLES_PER_FILE", "70")
    monkeypatch.setenv("QF_DATA_ROOT", str(tmp_path / "d"))
    s = load_settings(cfg, api_port=8123)
    assert s.chrome_port == 9333
    assert s.candles_per_file == 70
    assert s.api_port == 8123
    assert s.realtime_dir == tmp_path / "d" / "data_output" / "assets_data" / "realtime_stream"
    assert s.allow_real_trading is False


def test_unknown_setting_and_broken_file_are_clear_errors(tmp_path: Path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"chrome_prot": 1}')
    with pytest.raises(ValueError, match="unknown setting.*chrome_prot"):
        load_settings(cfg)
    cfg.write_text("{broken")
    with pytest.raises(ValueError, match="cannot read config file"):
        load_settings(cfg)
