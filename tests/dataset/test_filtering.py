"""The filter's split (stable as images are added, in the fractions asked) and its test for
images blown up by repeating pixels."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from pipeline.dataset.filtering import replication, split_of
from tests.support.images import photo_like


def test_split_is_stable_when_images_are_added():
    keys = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(400)]
    before = {k: split_of(k, 0.15, 0.15) for k in keys[:200]}
    after = {k: split_of(k, 0.15, 0.15) for k in keys}
    assert all(after[k] == s for k, s in before.items())
    counts = {s: list(after.values()).count(s) for s in ("train", "val", "test")}
    assert 0.08 < counts["test"] / 400 < 0.22
    assert counts["train"] > counts["val"]


@pytest.mark.parametrize("fraction", [0.0, 0.5])
def test_split_fractions_are_respected(fraction):
    keys = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(1000)]
    share = sum(split_of(k, 0.0, fraction) == "test" for k in keys) / len(keys)
    assert abs(share - fraction) < 0.05


def blown_up(img: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_pixels_repeated_k_times_are_found_at_any_alignment(k):
    small = photo_like(20, 24)
    assert replication(small) == 0
    big = blown_up(small, k)
    assert replication(big) == k
    assert replication(big[1:, k - 1:]) == k  # a crop that starts inside a block


def test_repeating_along_one_axis_or_a_lossy_copy_is_not_a_blown_up_image():
    small = photo_like(20, 24)
    assert replication(np.repeat(small, 2, axis=0)) == 0
    big = blown_up(small, 2)
    big[7, 9] += 1  # one pixel that breaks its block
    assert replication(big) == 0
    buf = io.BytesIO()
    Image.fromarray(blown_up(small, 2)).save(buf, format="JPEG", quality=95)
    assert replication(np.asarray(Image.open(buf))) == 0  # exact test: JPEGs of one are kept
