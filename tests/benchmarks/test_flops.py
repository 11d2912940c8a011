"""The benchmarks' FLOP count, against a count by hand."""

from __future__ import annotations

from benchmarks.flops import flops_per_lr_pixel
from pipeline.training.model import build_model
from tests.support.models import tiny_model_params

TINY = tiny_model_params(blocks=2)


def test_flops_count_by_hand():
    m = build_model(TINY.model_copy(update={"blocks": 0, "filters": 4, "skip": "none"}), 2)
    # head 3->4 (3x3), body tail 4->4 (3x3), sub-pixel 4->3x4 maps (3x3): 2 * MACs per LR pixel
    assert flops_per_lr_pixel(m, 2) == 2 * (9 * 3 * 4 + 9 * 4 * 4 + 9 * 4 * 12)
