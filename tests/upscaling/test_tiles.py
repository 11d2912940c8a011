"""Seamless tiles: the same result as the whole image, balanced windows, bands in order, progress."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from pipeline.training.model import build_model
from pipeline.upscaling.inference import predict
from pipeline.upscaling.tiles import TileEngine, spans
from tests.support.images import photo_like
from tests.support.models import tiny_model_params, with_random_weights

TINY = tiny_model_params(blocks=2)


@pytest.mark.parametrize(("h", "w", "tile", "batch"), [(45, 61, 16, 4), (45, 61, 16, 3), (20, 90, 16, 2),
                                                       (45, 61, 64, 4), (45, 61, 0, 1)])
def test_tiled_inference_equals_whole_image(h, w, tile, batch):
    m = with_random_weights(build_model(TINY, 2))
    img = photo_like(h, w)
    whole = predict(m, img[None])[0]
    tiled = TileEngine(m, tile=tile, batch=batch).super_resolve(img)
    assert tiled.shape == (2 * h, 2 * w, 3)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def test_the_overlap_is_what_hides_the_seams():
    m = with_random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = predict(m, img[None])[0]
    seams = TileEngine(m, tile=16, overlap=0).super_resolve(img)
    assert np.abs(whole.astype(int) - seams.astype(int)).max() > 1


def test_tiles_are_balanced_and_every_window_is_inside_the_image():
    for length, tile, overlap in [(61, 16, 5), (100, 32, 8), (30, 16, 8), (3000, 1024, 18), (7, 7, 3)]:
        window, parts = spans(length, tile, overlap)
        assert parts[0][0] == 0
        assert parts[-1][1] == length
        assert all(a[1] == b[0] for a, b in pairwise(parts))  # no gap, no overlap
        sizes = [end - start for start, end, _ in parts]
        assert len(parts) == -(-length // tile)
        assert max(sizes) <= tile
        assert max(sizes) - min(sizes) <= 1
        for start, end, at in parts:
            assert 0 <= at <= length - window
            assert at <= max(start - overlap, 0)  # as much context before the tile as exists
            assert at + window >= min(end + overlap, length)  # and after it
    assert spans(3000, 1024, 18) == (1036, [(0, 1000, 0), (1000, 2000, 982), (2000, 3000, 1964)])


def test_bands_come_a_row_of_tiles_at_a_time_in_order():
    m = with_random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = TileEngine(m, tile=16, batch=4).super_resolve(img)
    bands = list(TileEngine(m, tile=16, batch=4).bands(img))
    assert [len(b) for b in bands] == [30, 30, 30]  # three rows of 15 LR pixels
    assert np.array_equal(np.concatenate(bands), whole)
    engine = TileEngine(m, tile=16)
    assert engine.tiles(16, 16) == engine.tiles(8, 32) == 1  # up to tile x tile pixels: whole
    assert engine.tiles(16, 17) == 2


def test_progress_counts_tiles_and_can_stop_the_work():
    m = build_model(TINY, 2)
    engine = TileEngine(m, tile=16, batch=2)
    done = []
    engine.super_resolve(photo_like(40, 40), done.append)
    assert sum(done) == engine.tiles(40, 40) == 9
    bucketed, done = TileEngine(m, tile=16, batch=2, buckets=True), []
    bucketed.super_resolve(photo_like(45, 61), done.append)
    assert sum(done) == bucketed.tiles(45, 61) == len(bucketed.layout(45, 61)[1]) * len(bucketed.layout(45, 61)[2])

    def cancel(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.super_resolve(photo_like(40, 40), cancel)


def test_rounding_inside_the_graph_gives_the_bytes_of_rounding_in_numpy():
    from pipeline.upscaling.inference import quantise, to_uint8

    rng = np.random.default_rng(0)
    # Ties at every level (k + 0.5) / 255, values outside [0, 1], and random ones.
    y = np.concatenate([(np.arange(256) + 0.5) / 255, [-0.3, -0.0, 1.0, 1.7], rng.uniform(-0.1, 1.1, 10_000)])
    y = y.astype(np.float32)
    assert np.array_equal(np.asarray(quantise(y)), to_uint8(y))


@pytest.mark.parametrize("self_ensemble", [False, True])
def test_the_compiled_8_bit_path_gives_what_the_model_gives(self_ensemble):
    m = with_random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = predict(m, img[None], self_ensemble)[0]  # float out of the model, to_uint8 in numpy
    got = TileEngine(m, tile=0, self_ensemble=self_ensemble).super_resolve(img)
    # Bytes equal on the AVX2-only EPYC; on a Zen 5 with AVX-512, 1 value in 32,940 one level
    # off (oneDNN's kernels for the shape-generic function, we believe, differ from
    # predict's, and a float a hair from a rounding tie lands on the other side).
    diff = np.abs(got.astype(np.int16) - whole)
    assert diff.max() <= 1
    assert (diff > 0).mean() < 1e-3


def test_buckets_are_a_short_ladder_that_holds_every_length():
    from pipeline.upscaling.tiles import bucket, ladder

    rungs = sorted({bucket(n) for n in range(1, 1061)})
    assert rungs[:5] == [32, 48, 64, 80, 96]
    assert rungs[-1] == 1296
    assert all(r % 16 == 0 for r in rungs)  # oneDNN's bfloat16 kernels run faster so
    assert all(bucket(n) >= n for n in range(1, 5000))
    assert max(bucket(n) / n for n in range(64, 5000)) < 1.33  # at most a third more above 64 pixels
    assert ladder(548) == [r for r in rungs if r < 548]


@pytest.mark.parametrize(("length", "tile", "overlap", "whole"), [
    (61, 16, 5, False), (100, 32, 8, False), (30, 16, 8, False), (3000, 1024, 18, False), (768, 512, 18, False),
    (4032, 1024, 18, False), (7, 7, 3, True), (1000, 1000, 18, True), (300, 512, 18, True), (3000, 1024, 18, True)])
def test_bucketed_windows_cover_every_tile_with_its_context(length, tile, overlap, whole):
    from pipeline.upscaling.tiles import bucket, bucketed_spans, ladder

    window, parts = bucketed_spans(length, tile, overlap, whole)
    top = -(-(tile + 2 * overlap) // 16) * 16  # a full tile's window, up to a multiple of 16
    assert window in {*ladder(top), top, bucket(length)}
    assert parts[0][0] == 0
    assert parts[-1][1] == length
    assert all(a[1] == b[0] for a, b in pairwise(parts))
    for start, end, at in parts:
        assert at >= 0
        assert at <= max(start - overlap, 0)  # as much context before the tile as exists
        assert at + window >= min(end + overlap, length)  # and after it
        assert at + window <= length or len(parts) == 1  # past the far edge only in one window
    # No more pixels along the axis than the plain windows rounded up to their rung.
    plain = spans(length, tile, overlap)
    assert len(parts) * window <= len(plain[1]) * bucket(plain[0])


def test_photos_of_every_size_share_a_few_window_shapes_with_buckets():
    from pipeline.upscaling.tiles import SERVER_BFLOAT16_TILE, bucket, ladder

    m = build_model(TINY, 2)
    plain = TileEngine(m, tile=SERVER_BFLOAT16_TILE, buckets=False)
    bucketed = TileEngine(m, tile=SERVER_BFLOAT16_TILE, buckets=True)
    rng = np.random.default_rng(0)
    sizes = {(int(rng.integers(200, 1000)), int(rng.integers(200, 1000))) for _ in range(300)}
    sizes |= {(int(rng.integers(1000, 5000)), int(rng.integers(1000, 5000))) for _ in range(100)}
    assert len({plain.layout(h, w)[0] for h, w in sizes}) > 300
    top = -(-(bucketed.tile + 2 * bucketed.overlap) // 16) * 16  # a full tile's window
    shapes = {bucketed.layout(h, w)[0] for h, w in sizes}
    assert len(shapes) <= 100
    assert {side for shape in shapes for side in shape} <= {bucket(n) for n in range(1, 5000)} | {top}
    assert max(wh * ww for wh, ww in shapes) <= (1.3 * top) ** 2  # what oneDNN keeps grows with the area
    tiled = {side for h, w in sizes if min(h, w) > top for side in bucketed.layout(h, w)[0]}
    assert tiled <= {*ladder(top), top}


def test_buckets_change_only_the_border_they_pad():
    m = with_random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = TileEngine(m, tile=0, buckets=False).super_resolve(img)
    for tile in (0, 16):
        got = TileEngine(m, tile=tile, buckets=True).super_resolve(img)
        assert got.shape == whole.shape
        radius = TileEngine(m).overlap * 2  # in output pixels
        inner = np.abs(got.astype(int) - whole)[:-radius, :-radius]
        assert inner.max() <= 1  # away from the padded far edges: whole-image inference
        assert np.abs(got.astype(int) - whole).max() > 1  # at them, mirrored image, not zeros


def test_a_bfloat16_network_gets_buckets_and_a_float32_one_does_not():
    from pipeline.upscaling.precision import bfloat16_copy

    m = build_model(TINY, 2)
    assert not TileEngine(m).buckets
    assert TileEngine(bfloat16_copy(m)).buckets
    assert not TileEngine(bfloat16_copy(m), buckets=False).buckets
