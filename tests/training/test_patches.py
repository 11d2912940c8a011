"""The patch stream: exact LR/HR pairs from images of any size, reproducible from any step."""

from __future__ import annotations

import numpy as np

from pipeline.training.patches import detailed_positions, patch_dataset


def images():
    """Three LR images of different sizes, each a constant colour plus noise, and HR = LR
    enlarged by pixel repetition, so an HR patch must hold its LR patch exactly."""
    rng = np.random.default_rng(0)
    lr = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in [(20, 30), (12, 12), (40, 16)]]
    for k, img in enumerate(lr):
        img[..., 0] = k * 100  # the red channel tells which image a patch came from
    hr = [np.repeat(np.repeat(a, 2, 0), 2, 1) for a in lr]
    return lr, hr


def test_patches_are_exact_pairs_from_every_image():
    lr, hr = images()
    seen = set()
    for a, b in patch_dataset(lr, hr, 8, 2, 4, seed=3, first_step=0, last_step=40):
        a, b = (np.round(a.numpy() * 255).astype(np.uint8), np.round(b.numpy() * 255).astype(np.uint8))
        assert a.shape == (4, 8, 8, 3)
        assert b.shape == (4, 16, 16, 3)
        assert np.array_equal(b[:, ::2, ::2], a)  # the same place, rotated and flipped alike
        seen |= {int(x) for x in a[:, 0, 0, 0]}
    assert seen == {0, 100, 200}


def test_the_stream_is_the_same_from_any_starting_step():
    lr, hr = images()
    whole = [b.numpy() for _, b in patch_dataset(lr, hr, 8, 2, 2, seed=5, first_step=0, last_step=6)]
    tail = [b.numpy() for _, b in patch_dataset(lr, hr, 8, 2, 2, seed=5, first_step=3, last_step=6)]
    assert all(np.array_equal(x, y) for x, y in zip(whole[3:], tail, strict=True))
    other = [b.numpy() for _, b in patch_dataset(lr, hr, 8, 2, 2, seed=6, first_step=0, last_step=6)]
    assert not all(np.array_equal(x, y) for x, y in zip(whole, other, strict=True))


def test_images_are_drawn_in_proportion_to_their_patch_positions():
    lr, hr = images()
    counts = dict.fromkeys((0, 100, 200), 0)
    for a, _ in patch_dataset(lr, hr, 8, 2, 50, seed=1, first_step=0, last_step=40):
        for v in np.round(a.numpy()[:, 0, 0, 0] * 255).astype(int):
            counts[int(v)] += 1
    positions = np.array([(20 - 7) * (30 - 7), (12 - 7) * (12 - 7), (40 - 7) * (16 - 7)])
    expected = positions / positions.sum() * 2000
    # Within 4 standard deviations of the binomial count (uniform by image would be 667 each).
    assert np.all(np.abs(np.array(list(counts.values())) - expected) < 4 * np.sqrt(expected))


def half_flat(h: int = 64, w: int = 96) -> np.ndarray:
    """Flat grey on the left, noise on the right (columns 48 on)."""
    img = np.full((h, w, 3), 128, np.uint8)
    img[:, w // 2:] = np.random.default_rng(1).integers(0, 256, (h, w - w // 2, 3), dtype=np.uint8)
    return img


def test_detail_keeps_the_share_of_positions_with_most_texture():
    img = half_flat()
    every = detailed_positions([img], 8, 1.0)
    assert len(every) == len(range(0, 57, 8)) * len(range(0, 89, 8))  # the whole lattice
    kept = detailed_positions([img], 8, 0.4)
    assert len(kept) == round(0.4 * len(every))
    assert (kept[:, 2] >= 48 - 1).all()  # only patches over the noise (edge ones read one grey column)
    assert (np.diff(kept[:, 1] * 1000 + kept[:, 2]) > 0).all()  # raster order, each once


def test_detailed_patches_come_from_the_texture_and_stay_exact_pairs():
    lr = [half_flat()]
    hr = [np.repeat(np.repeat(lr[0], 2, 0), 2, 1)]
    stream = patch_dataset(lr, hr, 8, 2, 16, seed=5, first_step=0, last_step=20, detail_keep=0.4)
    for a, b in stream:
        a, b = (np.round(a.numpy() * 255).astype(np.uint8), np.round(b.numpy() * 255).astype(np.uint8))
        assert np.array_equal(b[:, ::2, ::2], a)
        assert (a.reshape(16, -1).std(axis=1) > 20).all()  # never a flat grey patch
    by_area = patch_dataset(lr, hr, 8, 2, 16, seed=5, first_step=0, last_step=20)
    flat = [(a.numpy().reshape(16, -1).std(axis=1) < 1e-6).mean() for a, _ in by_area]
    assert np.mean(flat) > 0.25  # drawn by area, a third of them fall on the grey half
