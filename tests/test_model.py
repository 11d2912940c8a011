"""The Keras models: shapes for any input, plain reload, bicubic start, seamless tiling."""

from __future__ import annotations

import sys
from itertools import pairwise

import numpy as np
import pytest

from pipeline.inference import predict, predict_float
from pipeline.model import build_model, flops_per_lr_pixel, save_model
from pipeline.params import load_params
from pipeline.resize import upscale
from pipeline.tiles import TileEngine, spans
from tests.helpers import REPO, photo_like, run

TINY = load_params(REPO / "params.yaml").model.model_copy(update={"blocks": 2, "filters": 8})


@pytest.mark.parametrize("arch", ["edsr", "original"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_is_scale_times_any_input(arch, scale):
    m = build_model(TINY.model_copy(update={"arch": arch}), scale)
    for h, w in [(7, 9), (16, 5)]:
        assert m(np.zeros((1, h, w, 3), np.float32)).shape == (1, h * scale, w * scale, 3)


@pytest.mark.parametrize("upsampler", ["pixel_shuffle", "nearest"])
def test_untrained_model_is_exactly_bicubic_inside(upsampler):
    m = build_model(TINY.model_copy(update={"upsampler": upsampler, "skip": "bicubic"}), 2)
    lr = photo_like(20, 24)
    sr = predict(m, lr[None])[0].astype(int)
    bicubic = upscale(lr, 2, "pillow").astype(int)
    assert np.abs(sr - bicubic)[8:-8, 8:-8].max() <= 1


def test_saved_model_reloads_with_plain_keras_and_is_byte_stable(tmp_path):
    m = build_model(TINY, 2)
    save_model(m, tmp_path / "model.keras")
    save_model(m, tmp_path / "again.keras")
    assert (tmp_path / "model.keras").read_bytes() == (tmp_path / "again.keras").read_bytes()
    # And across processes, where Keras's object ids differ.
    code = ("import sys, keras; from pipeline.model import build_model, save_model; "
            "from pipeline.params import load_params; "
            "m = load_params('params.yaml').model.model_copy(update=dict(blocks=2, filters=8)); "
            "keras.utils.set_random_seed(1); save_model(build_model(m, 2), sys.argv[1])")
    for name in ("p1.keras", "p2.keras"):
        run([sys.executable, "-c", code, str(tmp_path / name)], REPO)
    assert (tmp_path / "p1.keras").read_bytes() == (tmp_path / "p2.keras").read_bytes()
    code = ("import keras, numpy as np; m = keras.models.load_model('model.keras'); "
            "print(m(np.zeros((1, 5, 7, 3), 'float32')).shape)")
    # No PYTHONPATH: the file must not need this project's code to load.
    proc = run([sys.executable, "-c", code], tmp_path, env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert "(1, 10, 14, 3)" in proc.stdout


def random_weights(m, seed: int = 0):
    """Give the residual branch real weights so tests see the network, not just bicubic."""
    rng = np.random.default_rng(seed)
    m.set_weights([rng.normal(0, 0.2, w.shape).astype(np.float32) if i < len(m.weights) - 2 else w
                   for i, w in enumerate(m.get_weights())])
    return m


@pytest.mark.parametrize(("h", "w", "tile", "batch"), [(45, 61, 16, 4), (45, 61, 16, 3), (20, 90, 16, 2),
                                                       (45, 61, 64, 4), (45, 61, 0, 1)])
def test_tiled_inference_equals_whole_image(h, w, tile, batch):
    m = random_weights(build_model(TINY, 2))
    img = photo_like(h, w)
    whole = predict(m, img[None])[0]
    tiled = TileEngine(m, tile=tile, batch=batch).upscale(img)
    assert tiled.shape == (2 * h, 2 * w, 3)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def test_the_overlap_is_what_hides_the_seams():
    m = random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = predict(m, img[None])[0]
    seams = TileEngine(m, tile=16, overlap=0).upscale(img)
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
    m = random_weights(build_model(TINY, 2))
    img = photo_like(45, 61)
    whole = TileEngine(m, tile=16, batch=4).upscale(img)
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
    engine.upscale(photo_like(40, 40), done.append)
    assert sum(done) == engine.tiles(40, 40) == 9

    def cancel(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.upscale(photo_like(40, 40), cancel)


def test_flops_count_by_hand():
    m = build_model(TINY.model_copy(update={"blocks": 0, "filters": 4, "skip": "none"}), 2)
    # head 3->4 (3x3), body tail 4->4 (3x3), sub-pixel 4->3x4 maps (3x3): 2 * MACs per LR pixel
    assert flops_per_lr_pixel(m, 2) == 2 * (9 * 3 * 4 + 9 * 4 * 4 + 9 * 4 * 12)


def test_self_ensemble_is_equivariant_to_flips_and_rotations():
    m = build_model(TINY, 2)
    rng = np.random.default_rng(1)
    m.set_weights([rng.normal(0, 0.2, w.shape).astype(np.float32) for w in m.get_weights()])
    x = photo_like(12, 12)[None]
    plain = predict_float(m, x)
    ens = predict_float(m, x, self_ensemble=True)
    flipped = predict_float(m, x[:, :, ::-1].copy(), self_ensemble=True)
    rotated = predict_float(m, np.rot90(x, 1, axes=(1, 2)).copy(), self_ensemble=True)
    assert np.allclose(flipped, ens[:, :, ::-1], atol=1e-5)
    assert np.allclose(rotated, np.rot90(ens, 1, axes=(1, 2)), atol=1e-5)
    assert not np.allclose(plain, ens, atol=1e-3)  # random weights are not symmetric by themselves
    tiled = TileEngine(m, tile=8, self_ensemble=True).upscale(x[0])
    assert np.abs(tiled.astype(int) - np.clip(np.round(ens[0] * 255), 0, 255).astype(int)).max() <= 1
