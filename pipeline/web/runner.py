"""One job, run by a worker: the upload decoded (here, never in a request), upscaled with the
model and options it asked for, the result stored, the job's record kept current.

At least once: a job may be delivered again (its worker died), so a run claims the job first
(a finished or cancelled one is skipped), beats its heartbeat and reports progress as tiles
finish, stops at the next tile when the job was cancelled, and only the run holding the claim
records the result. Results are written whole, under the job's id: a second run of the same
job replaces its file with the same bytes.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.imaging.images import BadImage, Decoded, save_png
from pipeline.imaging.metadata import decode_photo
from pipeline.upscaling.formats import SUFFIX, Output
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.storage import Storage
from pipeline.web.store import Store

log = logging.getLogger(__name__)
# A running job reports progress (its heartbeat) after every tile, a few seconds at most; one
# silent this long lost its worker and may be claimed again.
STALE_S = 30.0


class Cancelled(Exception):
    pass


def rate_key(job: dict) -> str:
    return f"{job['model']}:{'ensemble' if job['self_ensemble'] else 'plain'}"


def result_key(job_id: str, fmt: str) -> str:
    return f"results/{job_id}{SUFFIX[fmt]}"


def preview_key(job_id: str) -> str:
    return f"previews/{job_id}.png"


def run_job(job_id: str, store: Store, storage: Storage, upscaler_for: Callable[[str, bool], Upscaler],
            worker: str, max_pixels: int, beat: Callable[[], None] = lambda: None) -> str | None:
    """Run job `job_id` if it is still to run; its final status, None if there is nothing to
    do, or "busy" if another worker runs it (and may have died: look again later). `beat()`
    is called as tiles finish (the worker tells its broker it lives)."""
    job = store.claim(job_id, worker, STALE_S)
    if job is None:  # done, cancelled or deleted: nothing to do; or running elsewhere, maybe for a dead worker
        now = store.get(job_id)
        return "busy" if now is not None and now["status"] == "running" else None
    log.info("job %s started by %s (attempt %d)", job_id, worker, job["attempts"])
    output = Output(job["format"], job["quality"], job["strip"], job.get("nearest_input"))  # .get: older records
    pixels = job["width"] * job["height"]
    started = time.monotonic()
    state = {"done": 0}

    def progress(tiles: int) -> None:
        state["done"] += tiles
        beat()
        if store.get(job_id) is None:  # deleted by its user: stop at this tile
            raise Cancelled
        store.update(job_id, tiles_done=state["done"], heartbeat=time.time())

    with tempfile.TemporaryDirectory(prefix="supersizer-job-") as tmp:
        try:
            up = upscaler_for(job["model"], job["self_ensemble"])
            job["tiles_total"] = up.engine.tiles(job["height"], job["width"])  # this worker's own tiling
            store.update(job_id, tiles_total=job["tiles_total"])
            upload = storage.get_local(f"uploads/{job_id}", Path(tmp) / "upload")
            d = decode_photo(upload, max_pixels, name=job["name"])
            preview = Path(tmp) / "preview.png"  # the page's "before", turned upright like the result
            save_png(input_pixels(d), preview, compress_level=1)
            storage.put(preview_key(job_id), preview)
            plan = up.plan(d, output)
            result = Path(tmp) / f"result{SUFFIX[plan.format]}"
            up.start_save(d, result, plan, progress)()
            key = result_key(job_id, plan.format)
            size = storage.put(key, result)
        except Cancelled:
            # The user's delete may have run before this run stored the preview (the claim
            # comes first), so the run removes what it wrote itself.
            storage.delete(preview_key(job_id))
            log.info("job %s cancelled while running", job_id)
            return "cancelled"
        except BadImage as e:
            return _failed(store, job_id, worker, e.detail)
        except Exception as e:  # the worker goes on with the next job; the job says what went wrong
            log.exception("job %s failed", job_id)
            return _failed(store, job_id, worker, f"{type(e).__name__}: {e}")
    seconds = time.monotonic() - started
    key_rate = rate_key(job)
    store.set_rate(key_rate, 0.7 * store.rate(key_rate, seconds / pixels) + 0.3 * seconds / pixels)
    # The upload's own warning (animation, from its header) is the plan's again: say it once.
    warning = "; ".join(dict.fromkeys(filter(None, [job.get("warning"), *plan.warnings]))) or None
    if not store.finish(job_id, worker, "done", result=key, result_bytes=size, result_format=plan.format,
                        tiles_done=job["tiles_total"], warning=warning):
        if store.get(job_id) is None:  # cancelled at the last moment: nothing of it stays
            storage.delete(key)
            storage.delete(preview_key(job_id))
        return "cancelled"
    storage.delete(f"uploads/{job_id}")
    log.info("job %s done in %.1f s", job_id, seconds)
    return "done"


def _failed(store: Store, job_id: str, worker: str, error: str) -> str:
    store.finish(job_id, worker, "failed", error=error)
    return "failed"


def input_pixels(d: Decoded):
    """The decoded input as the pixels a PNG of it holds: gray as L, alpha kept."""
    import numpy as np

    base = d.rgb[..., 0] if d.grayscale else d.rgb
    if d.alpha is None:
        return base
    rgb = d.rgb if not d.grayscale else np.repeat(base[..., None], 3, axis=-1)
    return np.concatenate([rgb, d.alpha[..., None]], axis=-1)
