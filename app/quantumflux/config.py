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


class ConfigError(ValueError):
    """A setting that cannot be used; the message names where it came from (file, variable or flag)."""


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1): what servers bind by default."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost":
        return True
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
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


def host_name(host_header: str) -> str:
    """The name part of an HTTP ``Host`` header: ``[::1]:8000`` → ``[::1]``, ``localhost:8000`` → ``localhost``."""
    host = host_header.strip()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_bind_host(host: str, allow_remote: bool, what: str = "the API") -> None:
    """The one bind rule of every server QuantumFlux starts: loopback unless remote access is asked for.

    Raises :class:`ConfigError` for a non-loopback ``host`` (``0.0.0.0`` included) without ``allow_remote``.
    """
    if not allow_remote and not is_loopback_host(host):
        raise ConfigError(f"refusing to bind {what} to {host}: it binds loopback only unless remote access is "
                          "allowed (--allow-remote, or the setting api_allow_remote for the terminal's API)")


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
    #: Let the API (``quantumflux api`` and the terminal's) bind a non-loopback address and answer any Host.
    api_allow_remote: bool = False
    #: Extra folders (os.pathsep-separated) whose CSVs ``POST /backtests`` may read besides ``data_root``.
    api_data_dirs: str = ""
    allow_real_trading: bool = False
    #: When CSV rows reach the disk itself: ``chunk`` (each part file fsynced as it is closed), ``row`` or ``off``.
    csv_fsync: str = "chunk"

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


#: Settings that are TCP ports, and settings that must be at least 1.
_PORTS = ("chrome_port", "api_port")
_POSITIVE = ("candles_per_file", "ticks_per_file")
_CHOICES: dict[str, tuple[str, ...]] = {"csv_fsync": ("chunk", "row", "off")}


def _coerce(value: str | object, current: object) -> object:
    if isinstance(current, bool):
        return str(value).strip().lower() in {"1", "true", "yes", "on"} if isinstance(value, str) else bool(value)
    if isinstance(current, int):
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, got {value!r}")
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"must be a whole number, got {value!r}") from None
    if isinstance(current, Path):
        return Path(str(value)).expanduser()
    return str(value)


def _check(name: str, value: object) -> None:
    if name in _PORTS and not 0 < int(value) < 65536:  # type: ignore[call-overload]
        raise ValueError(f"must be a port between 1 and 65535, got {value}")
    if name in _POSITIVE and int(value) < 1:  # type: ignore[call-overload]
        raise ValueError(f"must be at least 1, got {value}")
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ValueError(f"must be one of {', '.join(_CHOICES[name])}, got {value!r}")


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Defaults, then ``config.json`` (if present), then ``QF_*`` environment variables, then overrides.

    Raises :class:`ConfigError` (a ValueError) naming the file, variable or flag of a bad value.
    """
    settings = Settings()
    config_file = config_file or user_data_dir() / "config.json"
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if config_file.exists():
        try:
            loaded = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {config_file} must hold a JSON object")
        values.update(loaded)
        sources.update({key: f"{key} in {config_file}" for key in loaded})
    names = {f.name for f in fields(Settings)}
    for name in names:
        env = os.environ.get(f"QF_{name.upper()}")
        if env is not None:
            values[name] = env
            sources[name] = f"QF_{name.upper()}"
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    sources.update({key: f"{key} (from the command line)" for key in given})
    unknown = set(values) - names
    if unknown:
        where = f" in config file {config_file}" if any(k not in overrides for k in unknown) else ""
        raise ConfigError(f"unknown setting(s){where}: {', '.join(sorted(unknown))}")
    coerced: dict[str, object] = {}
    for key, value in values.items():
        try:
            coerced[key] = _coerce(value, getattr(settings, key))
            _check(key, coerced[key])
        except ValueError as exc:
            raise ConfigError(f"{sources[key]}: {exc}") from None
    return replace(settings, **coerced)
