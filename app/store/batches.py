"""Mail-merge jobs: their progress, failures and the ZIP they produce."""

import json

from sqlite_utils import Database

from . import NotFound, atomic
from .clock import now_iso


def start(db: Database, office_id: int, user_id: int, template_id: str, fmt: str,
          total: int) -> int:
    with atomic(db):
        return db["batch_jobs"].insert({
            "office_id": office_id, "user_id": user_id, "template_id": template_id,
            "format": fmt, "total": total, "created_at": now_iso()}).last_pk


def progress(db: Database, job_id: int, done: int) -> None:
    with atomic(db):
        db.execute("UPDATE batch_jobs SET done = ? WHERE id = ?", [done, job_id])


def finish(db: Database, job_id: int, zip_bytes: bytes | None, failures: list[dict],
           status: str = "completato", sensitive: bool = True) -> None:
    """Keep the job's outcome; `sensitive`: its ZIP shows values of sensitive sections."""
    with atomic(db):
        db.execute("UPDATE batch_jobs SET status = ?, zip = ?, failures = ?, finished_at = ?, "
                   "sensitive = ? WHERE id = ?",
                   [status, zip_bytes, json.dumps(failures, ensure_ascii=False), now_iso(),
                    int(sensitive), job_id])


def get(db: Database, job_id: int, user_id: int) -> dict:
    """A job of this user (nobody else sees another's batch)."""
    rows = list(db.query("SELECT * FROM batch_jobs WHERE id = ? AND user_id = ?",
                         [job_id, user_id]))
    if not rows:
        raise NotFound(job_id)
    job = rows[0]
    job["failures"] = json.loads(job["failures"])
    return job
