"""Strategy registry: built-ins plus user strategy files discovered in folders.

A user strategy file is a Python file defining one or more :class:`Strategy` subclasses with a
``name``. Each is validated before it is registered: a unique identifier-like name, a frozen
dataclass ``Config`` whose fields all have int/float defaults, known indicators, and a ``decide``
that returns well-formed arrays on a synthetic series. Problems are reported per file, with the
path and the reason; one bad file does not hide the others.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quantumflux.core.strategies.arrays import CandleArrays
from quantumflux.core.strategies.base import Strategy
from quantumflux.core.strategies.builtin import BUILTIN

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class StrategyProblem:
    """Why a user strategy file (or a class in it) was not registered."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def synthetic_candles(count: int = 400) -> CandleArrays:
    """A deterministic wavy series used to smoke-test strategies (not market data)."""
    steps = np.arange(count, dtype=np.float64)
    close = 1.1 + 0.01 * np.sin(steps / 7.0) + 0.004 * np.sin(steps / 2.3) + 0.00001 * steps
    spread = 0.0005 + 0.0002 * np.cos(steps / 3.0)
    return CandleArrays.from_columns(time=steps * 60.0, open=np.roll(close, 1), high=close + spread,
                                     low=close - spread, close=close, volume=np.full(count, 10.0))


def validate(strategy_class: type[Strategy]) -> None:
    """Raise ValueError with a readable reason if ``strategy_class`` is not a usable strategy."""
    name = getattr(strategy_class, "name", "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"strategy name {name!r} must be lower-case letters, digits and _ (2-41 chars)")
    config = getattr(strategy_class, "Config", None)
    if not (isinstance(config, type) and dataclasses.is_dataclass(config)):
        raise ValueError(f"{name}: Config must be a dataclass")
    if not config.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise ValueError(f"{name}: Config must be a frozen dataclass (@dataclass(frozen=True))")
    for item in dataclasses.fields(config):
        if type(item.default) not in (int, float):
            raise ValueError(f"{name}: parameter {item.name!r} needs an int or float default")
    if not strategy_class.rules:
        raise ValueError(f"{name}: rules must name the rule(s) that can fire")
    strategy = strategy_class()
    sample = synthetic_candles()
    now = strategy.compute(sample)
    before = {key: np.concatenate(([np.nan], value[:-1])) for key, value in now.items()}
    decision = strategy.decide(now, before)
    for field_name in ("direction", "rule", "confidence"):
        array = np.asarray(getattr(decision, field_name))
        if array.shape != (len(sample),):
            raise ValueError(f"{name}: decide() returned {field_name} of shape {array.shape}, expected ({len(sample)},)")
    if not set(np.unique(decision.direction)) <= {-1, 0, 1}:
        raise ValueError(f"{name}: decide() directions must be -1, 0 or +1")
    fired = np.asarray(decision.direction) != 0
    if fired.any() and (np.asarray(decision.rule)[fired].max() >= len(strategy_class.rules)):
        raise ValueError(f"{name}: decide() returned a rule index with no entry in rules")


class StrategyRegistry:
    """Strategies by name: the built-ins, then any discovered user strategies."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Strategy]] = {}
        self.sources: dict[str, Path | None] = {}
        self.problems: list[StrategyProblem] = []
        for strategy_class in BUILTIN:
            self.register(strategy_class)

    def register(self, strategy_class: type[Strategy], source: Path | None = None) -> None:
        if strategy_class.name in self._classes:
            raise ValueError(f"a strategy named {strategy_class.name!r} already exists")
        self._classes[strategy_class.name] = strategy_class
        self.sources[strategy_class.name] = source

    def names(self) -> list[str]:
        return list(self._classes)

    def get(self, name: str) -> type[Strategy]:
        try:
            return self._classes[name]
        except KeyError:
            raise KeyError(f"unknown strategy {name!r}; known: {', '.join(self._classes)}") from None

    def create(self, name: str, params: dict[str, object] | None = None) -> Strategy:
        """Instantiate ``name`` with (string or typed) parameters."""
        strategy_class = self.get(name)
        return strategy_class(strategy_class.parse_params(params or {}))

    def discover(self, folder: Path) -> list[str]:
        """Load every ``*.py`` file in ``folder``; returns the names added, records problems."""
        added: list[str] = []
        folder = Path(folder)
        if not folder.is_dir():
            return added
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            added.extend(self._load_file(path))
        return added

    def _load_file(self, path: Path) -> list[str]:
        module_name = f"quantumflux_user_strategy_{re.sub(r'[^0-9a-zA-Z_]', '_', path.stem)}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError("not a loadable Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:  # a user file can fail in any way; report it, keep going
            sys.modules.pop(module_name, None)
            self.problems.append(StrategyProblem(path, f"cannot load: {type(exc).__name__}: {exc}"))
            return []
        found = [obj for obj in vars(module).values()
                 if isinstance(obj, type) and issubclass(obj, Strategy) and obj is not Strategy
                 and obj.__module__ == module_name]
        if not found:
            self.problems.append(StrategyProblem(path, "defines no Strategy subclass"))
            return []
        added = []
        for strategy_class in found:
            try:
                validate(strategy_class)
                self.register(strategy_class, path)
            except Exception as exc:
                self.problems.append(StrategyProblem(path, f"{strategy_class.__name__}: {exc}"))
                continue
            added.append(strategy_class.name)
        return added


def default_registry(folders: list[Path] | tuple[Path, ...] = ()) -> StrategyRegistry:
    """Built-ins plus the strategies found in ``folders`` (missing folders are skipped)."""
    registry = StrategyRegistry()
    for folder in folders:
        registry.discover(Path(folder))
    return registry
