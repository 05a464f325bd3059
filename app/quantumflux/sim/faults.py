"""Fault injection settings of the practice broker (``--faults`` and the control endpoint).

A spec is a comma-separated list of ``key=value`` pairs, e.g.
``drop_after=30,refuse_reconnect=5,restart_every=300,malformed=0.01,delay_ms=50,duplicate=0.01,slow_buttons_ms=500,
rename_selector=call_button``. ``rename_selector`` may repeat and may name the new value
(``rename_selector=call_button:my-new-class``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

_RATIOS = ("malformed", "duplicate")
_SECONDS = ("drop_after", "refuse_reconnect", "restart_every")
_MILLIS = ("delay_ms", "slow_buttons_ms")
KNOWN_KEYS = (*_SECONDS, *_RATIOS, *_MILLIS, "rename_selector")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Which faults the broker injects. The default injects none.

    drop_after: close every socket this many seconds after it connected (None: never).
    refuse_reconnect: after a drop, refuse new sockets (HTTP 503) for this many seconds.
    restart_every: restart the server (listener and every socket; state is kept) this often.
    malformed: ratio of outgoing messages preceded by an extra malformed frame.
    delay_ms: delay every outgoing message by this many milliseconds.
    duplicate: ratio of outgoing messages sent twice.
    slow_buttons_ms: the page delays its trade buttons by this much (passed via ``/page-config.json``).
    rename_selectors: selector key → replacement the page applies (passed via ``/page-config.json``).
    """

    drop_after: float | None = None
    refuse_reconnect: float = 0.0
    restart_every: float | None = None
    malformed: float = 0.0
    delay_ms: int = 0
    duplicate: float = 0.0
    slow_buttons_ms: int = 0
    rename_selectors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse a spec string; raises ValueError naming the bad pair and the known keys."""
        values: dict[str, object] = {}
        renames: dict[str, str] = {}
        for part in (spec or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not value:
                raise ValueError(f"fault {part!r} needs a value (key=value)")
            if key == "rename_selector":
                name, _, new = value.partition(":")
                renames[name] = new or f"qf-renamed-{name}"
            elif key in KNOWN_KEYS:
                values[key] = _number(key, value)
            else:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(KNOWN_KEYS)}")
        return cls(rename_selectors=renames, **values)  # type: ignore[arg-type]

    @classmethod
    def coerce(cls, value: str | FaultSpec | None) -> FaultSpec:
        return value if isinstance(value, FaultSpec) else cls.parse(value)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        parts = [f"{key}={value}" for key, value in self.to_dict().items() if key != "rename_selectors" and value]
        parts += [f"rename_selector={name}:{new}" for name, new in self.rename_selectors.items()]
        return ",".join(parts)


def _number(key: str, text: str) -> float | int:
    try:
        value = float(text)
    except ValueError as exc:
        raise ValueError(f"fault {key} needs a number, got {text!r}") from exc
    if value < 0:
        raise ValueError(f"fault {key} must not be negative, got {text}")
    if key in _RATIOS and value > 1:
        raise ValueError(f"fault {key} is a ratio between 0 and 1, got {text}")
    if key in _MILLIS:
        return int(value)
    return value
