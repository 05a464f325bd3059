"""Bearer-token security for the API.

The token is generated on first use, stored with owner-only permissions (0600) in the
QuantumFlux home directory, and printed by ``quantumflux api token``. Every route but
``/health`` requires it, loopback or not.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from quantumflux.config import user_data_dir


def token_path() -> Path:
    return user_data_dir() / "api-token"


def load_or_create_token(path: Path | None = None) -> str:
    """Read the API token, creating it (owner-only permissions) on first run."""
    path = path or token_path()
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 32:
            if os.name == "posix" and path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # A fresh owner-only file renamed over the old one: an existing file's loose mode never survives.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if os.name == "posix":
                os.fchmod(fh.fileno(), 0o600)  # the umask cannot widen it, a stale temp file neither
            fh.write(token + "\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return token


def token_matches(expected: str, header_value: str | None) -> bool:
    """Constant-time check of an ``Authorization: Bearer <token>`` header value."""
    if not header_value:
        return False
    scheme, _, value = header_value.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return False
    return hmac.compare_digest(value.strip().encode(), expected.encode())
