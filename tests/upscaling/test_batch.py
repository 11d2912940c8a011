"""A batch stopped by a signal at each of its safe points in turn: what is finished is whole,
nothing half-written is left, and a resumed batch does only the rest."""

from __future__ import annotations

import signal

import pytest
from PIL import Image

from pipeline.upscaling.formats import Output
from tests.support.images import photo_like


@pytest.fixture(scope="module")
def upscaler(model_path):
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.upscaler import Upscaler

    return Upscaler(load_model(model_path), tile=16)  # several rows of tiles per photo


def photos(folder, n=3):
    folder.mkdir()
    for k in range(n):
        Image.fromarray(photo_like(40, 36, k)).save(folder / f"p{k}.{('png', 'jpg')[k % 2]}")
    return folder


class SignalAt:
    """A `Stopper` whose SIGTERM arrives just before its `n`-th check (counting from 1)."""

    def __init__(self, n: int) -> None:
        from pipeline.upscaling.batch import Stopper

        self.stopper, self.n, self.calls = Stopper(), n, 0
        real = self.stopper.check

        def check() -> None:
            self.calls += 1
            if self.calls == self.n:
                self.stopper(signal.SIGTERM, None)
            real()

        self.stopper.check = check


def test_a_stop_at_every_safe_point_keeps_what_is_done_and_leaves_nothing_half_written(tmp_path, upscaler):
    from pipeline.upscaling.batch import find_inputs, plan_outputs, run_stoppable

    folder = photos(tmp_path / "in")
    found = find_inputs([folder])

    def batch(out, stopper, skip_existing=False):
        items, problems, refused = plan_outputs(found.sources, out, Output(), 2, skip_existing=skip_existing)
        assert (problems, refused) == ([], [])
        return run_stoppable(upscaler, items, Output(), 10**8, lambda line: None, stopper)

    everything = SignalAt(0)  # never
    full = batch(tmp_path / "full", everything.stopper)
    assert (full.done, full.stopped) == (3, None)
    checks = everything.calls
    assert checks > 3 * 2  # between photos and between rows of tiles
    expected = {p.name: p.read_bytes() for p in (tmp_path / "full").iterdir()}
    for n in range(1, checks + 1):
        out = tmp_path / f"stopped{n}"
        at = SignalAt(n)
        tally = batch(out, at.stopper)
        assert tally.stopped == "SIGTERM", n
        left = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else {}
        assert tally.done == len(left) < 3, n
        assert {name: expected[name] for name in left} == left, n  # each one whole
        resumed = batch(out, SignalAt(0).stopper, skip_existing=True)
        assert (resumed.done, sum(resumed.skipped.values())) == (3 - len(left), len(left)), n
        assert {p.name: p.read_bytes() for p in out.iterdir()} == expected, n


def test_a_signal_outside_the_batch_stops_at_once():
    from pipeline.upscaling.batch import Stop, Stopper

    stopper = Stopper()
    with pytest.raises(Stop, match="SIGINT"):
        stopper(signal.SIGINT, None)
    with stopper.deferred():
        stopper(signal.SIGTERM, None)  # kept for the next safe point
        stopper(signal.SIGINT, None)
        with pytest.raises(Stop, match="SIGTERM"):
            stopper.check()
