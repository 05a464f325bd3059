"""Long work (backtests, A/B tests) as jobs with an id, progress and a result, run on worker threads."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Work = Callable[[Callable[[int, int], None]], Any]


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": round(self.progress, 4),
                "result": self.result, "error": self.error}


class JobBoard:
    """Starts jobs and finds them by id. A failing job keeps its error; nothing is retried."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, work: Work) -> Job:
        job = Job(uuid.uuid4().hex[:12], kind)
        with self._lock:
            self._jobs[job.id] = job

        def progress(done: int, total: int) -> None:
            job.progress = done / total if total else 1.0

        def run() -> None:
            job.status = "running"
            try:
                job.result = work(progress)
                job.progress, job.status = 1.0, "done"
            except Exception as exc:  # noqa: BLE001 - reported through the job
                job.error, job.status = f"{type(exc).__name__}: {exc}", "failed"

        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)
