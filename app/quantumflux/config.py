"""Settings shared by every face, with defaults and environment overrides.

Every setting has a default, an environment variable (``QF_<NAME>``) and can be set
in ``config.json`` in the config directory. Pure stdlib: importable from anywhere.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def user_data_dir() -> Path:
    """The per-user data directory (not inside the repository)."""
    if env := os.environ.get("QF_HOME"):
        return Path(env).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "QuantumFlux"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "QuantumFlux"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "quantumflux"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1): what servers bind by default."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_endpoint(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, ``PORT``) → ``(host, port)``; ValueError names what is wrong.

    The one parser of every ``--attach`` flag (a bracketed IPv6 host, ``[::1]:9222``, works too)."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host, port_text = "", text.strip()
    host = host.strip("[]") or default_host
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"expected HOST:PORT with a port from 1 to 65535, got {text!r}")
    return host, int(port_text)


def default_data_root() -> Path:
    """``data/`` of the source tree when run from a checkout, else the user data directory."""
    checkout = Path(__file__).resolve().parents[2] / "data"
    if (checkout.parent / "pyproject.toml").exists():
        return checkout
    return user_data_dir() / "data"


@dataclass(frozen=True)
class Settings:
    """All tunable settings. See docs/configuration.md for the reference."""

    data_root: Path = field(default_factory=default_data_root)
    chrome_host: str = "127.0.0.1"
    chrome_port: int = 9222
    chrome_profile: Path = field(default_factory=lambda: user_data_dir() / "chrome-profile")
    trading_url: str = "https://pocketoption.com/en/cabinet/demo-quick-high-low/"
    candles_per_file: int = 100
    ticks_per_file: int = 1000
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    allow_real_trading: bool = False

    @property
    def output_dir(self) -> Path:
        """Root of runtime output: ``<data_root>/data_output/assets_data``."""
        return Path(self.data_root) / "data_output" / "assets_data"

    @property
    def realtime_dir(self) -> Path:
        return self.output_dir / "realtime_stream"

    @property
    def collect_dir(self) -> Path:
        return self.output_dir / "data_collect"


def _coerce(value: str | object, current: object) -> object:
    if isinstance(current, bool):
        return str(value).strip().lower() in {"1", "true", "yes", "on"} if isinstance(value, str) else bool(value)
    if isinstance(current, int):
        return int(value)  # type: ignore[arg-type]
    if isinstance(current, Path):
        return Path(str(value)).expanduser()
    return str(value)


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Defaults, then ``config.json`` (if present), then ``QF_*`` environment variables, then overrides."""
    settings = Settings()
    config_file = config_file or user_data_dir() / "config.json"
    values: dict[str, object] = {}
    if config_file.exists():
        try:
            loaded = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read config file {config_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ValueError(f"config file {config_file} must hold a JSON object")
        values.update(loaded)
    names = {f.name for f in fields(Settings)}
    for name in names:
        env = os.environ.get(f"QF_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    coerced = {k: _coerce(v, getattr(settings, k)) for k, v in values.items()}
    return replace(settings, **coerced)
