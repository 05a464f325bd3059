"""Chrome/Chromium session management: find the binary, launch or reuse, probe DevTools.

Only subprocess + HTTP here: the DevTools endpoint is bound to 127.0.0.1, the profile
directory persists between runs (the user logs in once), and a browser already
listening on the port is reused rather than started twice.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantumflux.config import is_loopback_host

log = logging.getLogger(__name__)

#: Names tried on PATH, in order.
_PATH_NAMES = ("google-chrome", "google-chrome-stable", "chromium", "chromium-browser", "chrome", "msedge")

_MAC_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)


class BrowserError(RuntimeError):
    """The browser could not be found, started or reached."""


class BrowserNotFound(BrowserError):
    """No Chrome/Chromium binary was found."""


def _windows_candidates() -> list[Path]:
    roots = [os.environ.get(name) for name in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
    tails = (r"Google\Chrome\Application\chrome.exe", r"Chromium\Application\chrome.exe",
             r"Microsoft\Edge\Application\msedge.exe")
    return [Path(root) / tail for root in roots if root for tail in tails]


def find_browser(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Locate a Chrome/Chromium executable.

    Order: ``explicit`` (must exist), ``$QF_BROWSER``, well-known names on ``PATH``, then the
    usual install locations on macOS and Windows. Raises BrowserNotFound with what was tried.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file():
            return path
        found = shutil.which(str(explicit))
        if found:
            return Path(found)
        raise BrowserNotFound(f"browser not found at {explicit}")
    if env := os.environ.get("QF_BROWSER"):
        return find_browser(env)
    for name in _PATH_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    candidates: list[Path] = []
    if sys.platform == "darwin":
        candidates = [Path(p) for p in _MAC_PATHS]
    elif sys.platform == "win32":
        candidates = _windows_candidates()
    for path in candidates:
        if path.is_file():
            return path
    raise BrowserNotFound(
        "no Chrome or Chromium found; install one or pass --browser PATH (or set QF_BROWSER)"
    )


def browser_flags(port: int, profile: Path, headless: bool = False, url: str | None = None) -> list[str]:
    """Command-line flags for a capture-ready browser (DevTools on 127.0.0.1 only)."""
    flags = [
        f"--remote-debugging-port={port}",
        "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        # Keep timers and sockets running at full speed in hidden/background tabs.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ]
    if headless:
        flags += ["--headless=new", "--disable-gpu"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to start as root with the sandbox
    flags.append(url or "about:blank")
    return flags


# ------------------------------------------------------------------ DevTools HTTP


_warned_remote: set[tuple[str, int]] = set()


def warn_if_remote(host: str, port: int) -> None:
    """Log once per endpoint that DevTools on another machine is reachable by anyone (it has no authentication)."""
    if is_loopback_host(host) or (host, port) in _warned_remote:
        return
    _warned_remote.add((host, port))
    log.warning("DevTools at %s:%d is not on this machine. Chrome's remote debugging has no authentication: "
                "anyone who can reach that port controls the browser and its logged-in broker session. "
                "Prefer an SSH tunnel (ssh -L %d:127.0.0.1:%d HOST) and --attach 127.0.0.1:%d.",
                host, port, port, port, port)


def _get_json(host: str, port: int, path: str, timeout: float) -> Any:
    warn_if_remote(host, port)  # every DevTools contact starts here
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def devtools_version(host: str, port: int, timeout: float = 1.0) -> dict[str, Any] | None:
    """``/json/version`` of the browser on ``host:port``, or None when nothing answers."""
    try:
        info = _get_json(host, port, "/json/version", timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return info if isinstance(info, dict) and "webSocketDebuggerUrl" in info else None


def list_tabs(host: str, port: int, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Page targets from ``/json/list`` (id, title, url). Empty when nothing answers."""
    try:
        targets = _get_json(host, port, "/json/list", timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return []
    return [
        {"id": t.get("id", ""), "title": t.get("title", ""), "url": t.get("url", "")}
        for t in targets
        if isinstance(t, dict) and t.get("type") == "page"
    ]


def wait_for_devtools(host: str, port: int, timeout: float, alive: Callable[[], bool] | None = None) -> dict:
    """Poll ``/json/version`` until it answers; BrowserError after ``timeout`` or if ``alive()`` turns False."""
    deadline = time.monotonic() + timeout
    while True:
        info = devtools_version(host, port, timeout=0.5)
        if info:
            return info
        if alive is not None and not alive():
            raise BrowserError("the browser exited before its DevTools endpoint answered")
        if time.monotonic() >= deadline:
            raise BrowserError(f"no DevTools endpoint on {host}:{port} after {timeout:.0f} s")
        time.sleep(0.1)


# --------------------------------------------------------------------- process


@dataclass
class BrowserProcess:
    """A browser reachable over DevTools; ``process`` is None when an existing one was reused."""

    host: str
    port: int
    version: dict[str, Any]
    process: subprocess.Popen[bytes] | None = None
    profile: Path | None = None
    command: list[str] = field(default_factory=list)

    @property
    def reused(self) -> bool:
        return self.process is None

    @property
    def websocket_url(self) -> str:
        return str(self.version.get("webSocketDebuggerUrl", ""))

    def alive(self) -> bool:
        """True while the browser answers (reused) or its process runs (launched)."""
        if self.process is not None:
            return self.process.poll() is None
        return devtools_version(self.host, self.port) is not None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate a browser this process launched (a reused browser is left running)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def launch_browser(
    port: int,
    profile: Path,
    url: str | None = None,
    headless: bool = False,
    browser: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    timeout: float = 20.0,
    extra_flags: Sequence[str] = (),
    reuse: bool = True,
) -> BrowserProcess:
    """Start a browser with remote debugging on ``port`` (or reuse the one already there).

    The profile directory is created if needed and keeps cookies, so a login survives restarts.
    Browser output goes to ``<profile>/quantumflux-browser.log``.
    """
    if reuse and (info := devtools_version(host, port)):
        log.info("reusing the browser already listening on %s:%s (%s)", host, port, info.get("Browser"))
        return BrowserProcess(host, port, info)
    binary = find_browser(browser)
    profile = Path(profile).expanduser()
    profile.mkdir(parents=True, exist_ok=True)
    _clear_stale_lock(profile)
    command = [str(binary), *browser_flags(port, profile, headless, url), *extra_flags]
    log.info("starting %s", " ".join(command))
    with open(profile / "quantumflux-browser.log", "ab") as output:
        process = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True
        )
    try:
        info = wait_for_devtools(host, port, timeout, alive=lambda: process.poll() is None)
    except BrowserError:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        raise
    return BrowserProcess(host, port, info, process, profile, command)


def _clear_stale_lock(profile: Path) -> None:
    """Remove Chromium's SingletonLock left by a browser that was killed (it blocks a restart)."""
    lock = profile / "SingletonLock"
    if not lock.is_symlink():
        return
    try:
        pid = int(os.readlink(lock).rsplit("-", 1)[-1])
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        for name in ("SingletonLock", "SingletonSocket", "SingletonCookie"):
            (profile / name).unlink(missing_ok=True)
    except OSError:
        pass


class BrowserSupervisor:
    """Restart a launched browser when its process dies (same profile, same URL).

    ``on_restart(browser)`` is called after each successful restart. ``stop()`` ends the
    watch thread and terminates the browser.
    """

    def __init__(
        self,
        browser: BrowserProcess,
        relaunch: Callable[[], BrowserProcess],
        interval: float = 0.25,
        on_restart: Callable[[BrowserProcess], None] | None = None,
    ) -> None:
        self.browser = browser
        self._relaunch = relaunch
        self._interval = interval
        self._on_restart = on_restart
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="browser-supervisor", daemon=True)
        self.restarts = 0

    def start(self) -> BrowserSupervisor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.browser.stop()

    def _run(self) -> None:
        delay = self._interval
        while not self._stop.wait(delay):
            process = self.browser.process
            if process is None or process.poll() is None:
                delay = self._interval
                continue
            log.warning("the browser exited (code %s); restarting it", process.returncode)
            try:
                self.browser = self._relaunch()
            except (BrowserError, OSError) as exc:
                log.error("browser restart failed: %s", exc)
                delay = min(5.0, delay * 2)
                continue
            self.restarts += 1
            delay = self._interval
            if self._on_restart is not None:
                self._on_restart(self.browser)
