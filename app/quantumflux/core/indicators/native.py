"""TA-Lib's own C streaming handles (TA-Lib ≥ 0.8: ``TA_<X>_Open/Update/Peek/Close``) via ctypes.

The handle is opened on the first ``lookback + 1`` inputs (buffered until then) with TA-Lib's
batch code, then every closed candle is one ``TA_<X>_Update`` call: O(1), and bit-for-bit the
value ``talib.<X>`` gives for the whole series (tests compare with ``==``). ``preview`` calls
``TA_<X>_Peek``, which does not change the handle.

``available()`` says whether the loaded TA-Lib library exports these functions; when it does
not, :mod:`quantumflux.core.indicators.streaming` provides pure-Python updaters instead.
"""

from __future__ import annotations

import ctypes
import math
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np
import talib

_D = ctypes.c_double
_I = ctypes.c_int
_PD = ctypes.POINTER(ctypes.c_double)
NAN = math.nan

#: name -> (inputs, parameter ctypes, outputs)
_SPECS: dict[str, tuple[tuple[str, ...], tuple[type, ...], tuple[str, ...]]] = {
    "sma": (("close",), (_I,), ("sma",)),
    "ema": (("close",), (_I,), ("ema",)),
    "rsi": (("close",), (_I,), ("rsi",)),
    "macd": (("close",), (_I, _I, _I), ("macd", "signal", "hist")),
    "bbands": (("close",), (_I, _D, _D, _I), ("upper", "middle", "lower")),
    "stoch": (("high", "low", "close"), (_I, _I, _I, _I, _I), ("k", "d")),
    "atr": (("high", "low", "close"), (_I,), ("atr",)),
}


def _find_library() -> ctypes.CDLL | None:
    base = pathlib.Path(talib.__file__).resolve().parent
    candidates = [  # wheels bundle the library next to the package (Linux, macOS, Windows layouts)
        *sorted((base.parent / "ta_lib.libs").glob("*ta-lib*")), *sorted((base / ".dylibs").glob("*ta-lib*")),
        *sorted(base.glob("*ta-lib*.so*")), *sorted(base.glob("*ta-lib*.dll")), *sorted(base.parent.glob("ta-lib*.dll")),
    ]
    import ctypes.util

    system = ctypes.util.find_library("ta-lib") or ctypes.util.find_library("ta_lib")
    for path in [str(p) for p in candidates] + ([system] if system else []):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if all(hasattr(library, f"TA_{n.upper()}_{op}") for n in _SPECS for op in ("Open", "Update", "Peek")):
            return library
    return None


_LIBRARY = _find_library()


def available() -> bool:
    """True when the TA-Lib C library with streaming handles was found."""
    return _LIBRARY is not None


def _configure(name: str) -> None:
    inputs, params, outputs = _SPECS[name]
    upper = name.upper()
    lib = _LIBRARY
    assert lib is not None
    getattr(lib, f"TA_{upper}_Open").argtypes = (
        [ctypes.POINTER(ctypes.c_void_p)] + [_PD] * len(inputs) + [_I] + list(params) + [_PD] * len(outputs)
    )
    step = [ctypes.c_void_p] + [_D] * len(inputs) + [_PD] * len(outputs)
    getattr(lib, f"TA_{upper}_Update").argtypes = step
    getattr(lib, f"TA_{upper}_Peek").argtypes = step
    getattr(lib, f"TA_{upper}_Close").argtypes = [ctypes.c_void_p]
    getattr(lib, f"TA_{upper}_Lookback").argtypes = list(params)
    for op in ("Open", "Update", "Peek", "Close", "Lookback"):
        getattr(lib, f"TA_{upper}_{op}").restype = _I


if _LIBRARY is not None:
    for _name in _SPECS:
        _configure(_name)


class NativeStream:
    """One TA-Lib streaming handle. Same interface as the pure-Python updaters."""

    def __init__(self, name: str, params: Sequence[float]) -> None:
        if _LIBRARY is None:
            raise RuntimeError("the TA-Lib library in use has no streaming handles")
        self.name = name
        self.inputs, param_types, self.outputs = _SPECS[name]
        self._params = [kind(value) for kind, value in zip(param_types, params, strict=True)]
        upper = name.upper()
        self.lookback = int(getattr(_LIBRARY, f"TA_{upper}_Lookback")(*self._params))
        if self.lookback < 0:
            raise ValueError(f"{name}: TA-Lib rejected parameters {list(params)}")
        self._open = getattr(_LIBRARY, f"TA_{upper}_Open")
        self._update = getattr(_LIBRARY, f"TA_{upper}_Update")
        self._peek = getattr(_LIBRARY, f"TA_{upper}_Peek")
        self._close = getattr(_LIBRARY, f"TA_{upper}_Close")
        self._handle = ctypes.c_void_p()
        self._buffers: list[list[float]] = [[] for _ in self.inputs]
        self._out = [_D() for _ in self.outputs]
        self._out_refs = [ctypes.byref(value) for value in self._out]
        self._peek_out = [_D() for _ in self.outputs]
        self._peek_refs = [ctypes.byref(value) for value in self._peek_out]
        self._nan = NAN if len(self.outputs) == 1 else (NAN,) * len(self.outputs)
        self.count = 0

    @property
    def ready(self) -> bool:
        return self.count > self.lookback

    def seed(self, columns: Mapping[str, object]) -> float | tuple[float, ...]:
        """Feed a whole history at once (before any update): one ``TA_<X>_Open`` over it, as fast as the
        batch function. ``columns`` maps input names (``close`` or ``high, low, close``) to arrays."""
        if self.count:
            raise RuntimeError("seed() must come before any update()")
        arrays = [np.ascontiguousarray(columns[name], dtype=np.float64) for name in self.inputs]
        length = len(arrays[0])
        if length <= self.lookback:
            result: float | tuple[float, ...] = self._nan
            for values in zip(*arrays, strict=True):
                result = self.update(*values)
            return result
        pointers = [array.ctypes.data_as(_PD) for array in arrays]
        code = self._open(ctypes.byref(self._handle), *pointers, length, *self._params, *self._out_refs)
        if code != 0:
            raise RuntimeError(f"TA_{self.name.upper()}_Open failed with code {code}")
        self.count = length
        self._opened()
        return self._result(self._out)

    def _result(self, cells: list[ctypes.c_double]) -> float | tuple[float, ...]:
        if len(cells) == 1:
            return cells[0].value
        return tuple(cell.value for cell in cells)

    def update(self, *values: float) -> float | tuple[float, ...]:
        """Commit one closed candle's inputs; returns the value(s), NaN during the warm-up."""
        self.count += 1
        for buffer, value in zip(self._buffers, values, strict=True):
            buffer.append(float(value))
        if self.count <= self.lookback:
            return self._nan
        arrays = [(_D * len(buffer))(*buffer) for buffer in self._buffers]
        code = self._open(ctypes.byref(self._handle), *arrays, self.count, *self._params, *self._out_refs)
        if code != 0:
            raise RuntimeError(f"TA_{self.name.upper()}_Open failed with code {code}")
        self._opened()
        return self._result(self._out)

    def _opened(self) -> None:
        """Switch ``update``/``preview`` to direct C calls (closures: no per-call attribute lookups)."""
        self._buffers = []
        self.update = _fast_call(self._update, self._handle, self._out, self._out_refs, self)  # type: ignore[method-assign]
        self.preview = _fast_call(self._peek, self._handle, self._peek_out, self._peek_refs, None)  # type: ignore[method-assign]

    def preview(self, *values: float) -> float | tuple[float, ...]:
        """Value(s) with a forming candle, without committing it."""
        if self.count + 1 <= self.lookback:
            return self._nan
        arrays = [(_D * (len(b) + 1))(*b, v) for b, v in zip(self._buffers, values, strict=True)]
        scratch = ctypes.c_void_p()
        code = self._open(ctypes.byref(scratch), *arrays, self.count + 1, *self._params, *self._peek_refs)
        if code != 0:
            raise RuntimeError(f"TA_{self.name.upper()}_Open failed with code {code}")
        self._close(scratch)
        return self._result(self._peek_out)

    def update_candle(self, candle: object) -> float | tuple[float, ...]:
        return self.update(*(getattr(candle, name) for name in self.inputs))

    def preview_candle(self, candle: object) -> float | tuple[float, ...]:
        return self.preview(*(getattr(candle, name) for name in self.inputs))

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            try:
                self._close(handle)
            except Exception:  # interpreter shutdown: the library may already be gone
                pass
            handle.value = None


def _fast_call(function: object, handle: ctypes.c_void_p, cells: list[ctypes.c_double], refs: list[object],
               counter: NativeStream | None) -> object:
    """A closure calling ``function(handle, *inputs, *refs)`` and reading the output cells."""
    call = function
    if len(refs) == 1 and counter is not None:
        (r0,), (c0,) = refs, cells

        def single(*values: float) -> float:
            counter.count += 1
            call(handle, *values, r0)  # type: ignore[operator]
            return c0.value
        return single
    if len(refs) == 1:
        (r0,), (c0,) = refs, cells

        def single_peek(*values: float) -> float:
            call(handle, *values, r0)  # type: ignore[operator]
            return c0.value
        return single_peek

    def multiple(*values: float) -> tuple[float, ...]:
        if counter is not None:
            counter.count += 1
        call(handle, *values, *refs)  # type: ignore[operator]
        return tuple([cell.value for cell in cells])
    return multiple
