"""The crop and downscale stages run for real: empty splits, whole validation and test images."""

from __future__ import annotations

from tests.support.images import photo_like


def test_missing_or_empty_splits_are_not_an_error(tmp_path):
    """A small scrape can leave a split empty, and DVC does not restore empty folders."""
    from pipeline.imaging.images import save_png
    from tests.support.models import tiny_params, write_params
    from tests.support.sandbox import python

    save_png(photo_like(70, 70), tmp_path / "filtered" / "train" / "a.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(crop={"mode": "tiles"}))
    python("-m", "pipeline.stages.crop", str(tmp_path / "filtered"), str(tmp_path / "hr"), "--params", str(params))
    python("-m", "pipeline.stages.downscale", str(tmp_path / "hr"), str(tmp_path / "lr"), "--params", str(params))
    assert len(list((tmp_path / "lr" / "train").iterdir())) == 4
    assert [list((tmp_path / d / s).iterdir()) for d in ("hr", "lr") for s in ("val", "test")] == [[]] * 4


def test_validation_and_test_images_stay_whole(tmp_path):
    from pipeline.imaging.images import load_rgb, save_png
    from tests.support.models import tiny_params, write_params
    from tests.support.sandbox import python

    for split in ("train", "val", "test"):
        save_png(photo_like(71, 90), tmp_path / "filtered" / split / "a.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(crop={"mode": "tiles"}))
    python("-m", "pipeline.stages.crop", str(tmp_path / "filtered"), str(tmp_path / "hr"), "--params", str(params))
    assert len(list((tmp_path / "hr" / "train").iterdir())) == 4  # 32-pixel tiles
    for split in ("val", "test"):
        assert load_rgb(tmp_path / "hr" / split / "a.png").shape == (70, 90, 3)  # cut to a multiple of 2
