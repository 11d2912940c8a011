"""The job store's contract, the same for SQLite (embedded) and a real Redis (scaled out):
a bounded waiting line in order, one claim at a time, a stale claim taken over, a result
recorded only by the claim's holder, and a cancelled job that nothing brings back."""

from __future__ import annotations

import time

import pytest

from pipeline.web.store import RedisStore, SqliteStore
from tests.support.services import NO_REDIS, REDIS, start_redis


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "jobs.db")
        return
    if REDIS is None:
        pytest.skip(NO_REDIS)
    proc, url = start_redis(tmp_path)
    try:
        yield RedisStore(url)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def job(job_id: str) -> dict:
    return {"id": job_id, "name": f"{job_id}.png", "status": "queued", "width": 4, "height": 3, "attempts": 0}


def test_the_waiting_line_is_bounded_and_in_order(store):
    assert [store.create(job(i), limit=2) for i in ("a", "b", "c")] == [1, 2, None]
    assert store.queued_ids() == ["a", "b"]
    assert store.get("c") is None
    assert store.claim("a", "w1", stale_s=30)["attempts"] == 1
    assert store.queued_ids() == ["b"]
    assert store.create(job("c"), limit=2) == 2  # a running job no longer waits
    assert [j["id"] for j in store.jobs()] == ["a", "b", "c"]


def test_one_claim_at_a_time_and_a_stale_one_is_taken_over(store):
    store.create(job("a"), limit=5)
    assert store.claim("a", "w1", stale_s=30) is not None
    assert store.claim("a", "w2", stale_s=30) is None  # w1 is alive
    store.update("a", heartbeat=time.time() - 60)      # w1 went silent a minute ago
    taken = store.claim("a", "w2", stale_s=30)
    assert (taken["worker"], taken["attempts"]) == ("w2", 2)
    assert not store.finish("a", "w1", "done", result="results/a-by-w1.png")  # the old claim records nothing
    assert store.finish("a", "w2", "done", result="results/a.png")
    assert not store.finish("a", "w2", "done", result="again")  # once
    assert (store.get("a")["status"], store.get("a")["result"]) == ("done", "results/a.png")
    assert store.claim("a", "w3", stale_s=0) is None  # a finished job is never run again


def test_a_cancelled_job_stays_gone(store):
    store.create(job("a"), limit=5)
    store.claim("a", "w1", stale_s=30)
    assert store.cancel("a")["status"] == "running"
    store.update("a", tiles_done=3, heartbeat=time.time())  # the worker's next progress report
    assert store.get("a") is None
    assert not store.finish("a", "w1", "done", result="results/a.png")
    assert store.claim("a", "w2", stale_s=0) is None
    assert list(store.jobs()) == []
    assert store.cancel("a") is None


def test_rates_are_kept_per_key(store):
    assert store.rate("clean:plain", 4e-7) == 4e-7
    store.set_rate("clean:plain", 2.5e-7)
    assert store.rate("clean:plain", 4e-7) == 2.5e-7
