"""The dashboard's queue: studies run one at a time, in the order asked, each over up to the
machine's cores; a study can be cancelled."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field

from rccsim.studies.study import StudyRequest, StudyResult, run_study


@dataclass
class Job:
    id: str
    request: StudyRequest
    status: str = "queued"  # queued, running, done, cancelled, failed
    done: int = 0
    total: int = 0
    result: StudyResult | None = None
    error: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)


class JobQueue:
    """Studies run one at a time, in the order asked, each over up to ``processes`` workers."""

    def __init__(self, processes: int | None = None):
        self.processes = processes or (os.cpu_count() or 1)
        self.jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def submit(self, request: StudyRequest) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], request=request,
                  total=request.total_runs)
        with self._lock:
            self.jobs[job.id] = job
            self._order.append(job.id)
        self._wake.set()
        return job

    def cancel(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None and job.status in ("queued", "running"):
            job.cancel.set()
            if job.status == "queued":
                job.status = "cancelled"

    def queued_before(self, job_id: str) -> int:
        with self._lock:
            waiting = [j for j in self._order if self.jobs[j].status in ("queued", "running")]
        return waiting.index(job_id) if job_id in waiting else 0

    def _next(self) -> Job | None:
        with self._lock:
            for jid in self._order:
                if self.jobs[jid].status == "queued":
                    return self.jobs[jid]
        return None

    def _work(self) -> None:
        while True:
            job = self._next()
            if job is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            job.status = "running"

            def progress(done, total, job=job):
                job.done, job.total = done, total

            try:
                result = run_study(job.request, progress, job.cancel.is_set, self.processes)
                if result is None:
                    job.status = "cancelled"
                else:
                    job.result, job.status = result, "done"
            except Exception as exc:  # shown in the app in one line; the queue goes on
                job.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                job.status = "failed"
