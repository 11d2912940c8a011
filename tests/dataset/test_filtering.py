"""The filter's split: stable as images are added, and in the fractions asked."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.dataset.filtering import split_of


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
