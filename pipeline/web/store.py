"""Where the web product keeps its jobs: what each asked for, where it stands, the waiting line.

Two stores with one interface: SQLite for the embedded server (one process, the default: jobs
survive a restart) and Redis for a server with worker processes on other machines
(`--broker redis://...`). A job is a flat mapping of JSON values. Every change of status is a
compare-and-set, so a job is claimed by one worker at a time, a cancelled job never becomes
"done", and a job re-delivered after its worker died (at least once) is run again, never
recorded twice.

Statuses: queued -> running -> done | failed; queued or running -> cancelled (deleted by the
user, or expired). A running job whose heartbeat is older than `stale_s` may be claimed again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")


class Store(Protocol):
    def create(self, job: dict, limit: int) -> int | None:
        """Add a queued job unless `limit` jobs wait already; its position (1 = next), or None."""

    def get(self, job_id: str) -> dict | None: ...
    def update(self, job_id: str, **fields) -> None: ...
    def claim(self, job_id: str, worker: str, stale_s: float) -> dict | None:
        """queued (or running with a stale heartbeat) -> running by `worker`; the job, or None."""

    def finish(self, job_id: str, worker: str, status: str, **fields) -> bool:
        """running by `worker` -> `status`; False if the job was cancelled or taken meanwhile."""

    def cancel(self, job_id: str) -> dict | None:
        """Mark a job cancelled and forget it; the job as it was, or None if unknown."""

    def queued_ids(self) -> list[str]: ...
    def jobs(self) -> Iterator[dict]: ...
    def rate(self, key: str, default: float) -> float: ...
    def set_rate(self, key: str, value: float) -> None: ...


class SqliteStore:
    """Jobs in one SQLite file (WAL), for the one process of the embedded server."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER, status TEXT, data TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS rates (key TEXT PRIMARY KEY, value REAL)")
        self.lock = threading.Lock()

    def _row(self, job_id: str) -> dict | None:
        row = self.db.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def _put(self, job: dict) -> None:
        self.db.execute("UPDATE jobs SET status = ?, data = ? WHERE id = ?",
                        (job["status"], json.dumps(job), job["id"]))

    def create(self, job: dict, limit: int) -> int | None:
        with self.lock:
            waiting = self.db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
            if waiting >= limit:
                return None
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            self.db.execute("INSERT INTO jobs VALUES (?, ?, 'queued', ?)", (job["id"], seq, json.dumps(job)))
            return waiting + 1

    def get(self, job_id: str) -> dict | None:
        with self.lock:
            return self._row(job_id)

    def update(self, job_id: str, **fields) -> None:
        with self.lock:
            if (job := self._row(job_id)) is not None:
                self._put({**job, **fields})

    def claim(self, job_id: str, worker: str, stale_s: float) -> dict | None:
        with self.lock:
            job = self._row(job_id)
            now = time.time()
            if job is None or not (job["status"] == "queued" or (
                    job["status"] == "running" and now - job.get("heartbeat", 0) > stale_s)):
                return None
            job.update(status="running", worker=worker, heartbeat=now, started=now,
                       attempts=job.get("attempts", 0) + 1, tiles_done=0)
            self._put(job)
            return job

    def finish(self, job_id: str, worker: str, status: str, **fields) -> bool:
        with self.lock:
            job = self._row(job_id)
            if job is None or job["status"] != "running" or job.get("worker") != worker:
                return False
            self._put({**job, **fields, "status": status, "finished": time.time()})
            return True

    def cancel(self, job_id: str) -> dict | None:
        with self.lock:
            job = self._row(job_id)
            if job is not None:
                self.db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return job

    def queued_ids(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq")]

    def jobs(self) -> Iterator[dict]:
        with self.lock:
            rows = self.db.execute("SELECT data FROM jobs ORDER BY seq").fetchall()
        return (json.loads(r[0]) for r in rows)

    def rate(self, key: str, default: float) -> float:
        with self.lock:
            row = self.db.execute("SELECT value FROM rates WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_rate(self, key: str, value: float) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO rates VALUES (?, ?)", (key, value))


# Redis: a hash per job (each field a JSON value), a sorted set of the waiting line, and one of
# every job by its sequence number. The status changes run as Lua scripts: atomic on the server.
CREATE = """
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local seq = redis.call('incr', KEYS[3])
redis.call('hset', KEYS[4], 'data', ARGV[3], 'status', '"queued"')
redis.call('zadd', KEYS[1], seq, ARGV[2])
redis.call('zadd', KEYS[2], seq, ARGV[2])
return redis.call('zcard', KEYS[1])
"""
CLAIM = """
local status = redis.call('hget', KEYS[1], 'status')
if not status then return nil end
local beat = tonumber(redis.call('hget', KEYS[1], 'heartbeat') or '0')
if status ~= '"queued"' and not (status == '"running"' and tonumber(ARGV[2]) - beat > tonumber(ARGV[3])) then
  return nil
end
local attempts = tonumber(redis.call('hget', KEYS[1], 'attempts') or '0') + 1
redis.call('hset', KEYS[1], 'status', '"running"', 'worker', ARGV[1], 'heartbeat', ARGV[2], 'started', ARGV[2],
           'attempts', tostring(attempts), 'tiles_done', '0')
redis.call('zrem', KEYS[2], ARGV[4])
return 1
"""
UPDATE = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
FINISH = """
if redis.call('hget', KEYS[1], 'status') ~= '"running"' or redis.call('hget', KEYS[1], 'worker') ~= ARGV[1] then
  return 0
end
for i = 2, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""


class RedisStore:
    """Jobs in Redis, shared by the web processes and every worker."""

    def __init__(self, url: str, namespace: str = "supersizer") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.ns = namespace
        self.scripts = {name: self.client.register_script(src)
                        for name, src in (("create", CREATE), ("claim", CLAIM), ("update", UPDATE),
                                          ("finish", FINISH))}

    def _key(self, *parts: str) -> str:
        return ":".join((self.ns, *parts))

    def _read(self, raw: dict) -> dict:
        job = json.loads(raw.pop(b"data"))
        job.update({k.decode(): json.loads(v) for k, v in raw.items()})
        return job

    def create(self, job: dict, limit: int) -> int | None:
        keys = [self._key("queued"), self._key("all"), self._key("seq"), self._key("job", job["id"])]
        position = self.scripts["create"](keys=keys, args=[limit, job["id"], json.dumps(job)])
        return None if position < 0 else int(position)

    def get(self, job_id: str) -> dict | None:
        raw = self.client.hgetall(self._key("job", job_id))
        return self._read(raw) if raw else None

    def update(self, job_id: str, **fields) -> None:
        # One script, not `exists` then `hset`: a job cancelled between the two would come back
        # as a hash without its data.
        pairs = [x for k, v in fields.items() for x in (k, json.dumps(v))]
        self.scripts["update"](keys=[self._key("job", job_id)], args=pairs)

    def claim(self, job_id: str, worker: str, stale_s: float) -> dict | None:
        keys = [self._key("job", job_id), self._key("queued")]
        ok = self.scripts["claim"](keys=keys, args=[json.dumps(worker), time.time(), stale_s, job_id])
        return self.get(job_id) if ok else None

    def finish(self, job_id: str, worker: str, status: str, **fields) -> bool:
        pairs = [x for k, v in {**fields, "status": status, "finished": time.time()}.items()
                 for x in (k, json.dumps(v))]
        return bool(self.scripts["finish"](keys=[self._key("job", job_id)], args=[json.dumps(worker), *pairs]))

    def cancel(self, job_id: str) -> dict | None:
        job = self.get(job_id)
        if job is not None:
            pipe = self.client.pipeline()
            pipe.delete(self._key("job", job_id))
            pipe.zrem(self._key("queued"), job_id)
            pipe.zrem(self._key("all"), job_id)
            pipe.execute()
        return job

    def queued_ids(self) -> list[str]:
        return [x.decode() for x in self.client.zrange(self._key("queued"), 0, -1)]

    def jobs(self) -> Iterator[dict]:
        for job_id in self.client.zrange(self._key("all"), 0, -1):
            raw = self.client.hgetall(self._key("job", job_id.decode()))
            if raw:
                yield self._read(raw)
            else:  # gone meanwhile: drop it from the index
                self.client.zrem(self._key("all"), job_id)

    def rate(self, key: str, default: float) -> float:
        value = self.client.get(self._key("rate", key))
        return float(value) if value else default

    def set_rate(self, key: str, value: float) -> None:
        self.client.set(self._key("rate", key), value)
