"""Photos from local folders (scrape.folders) through the real crawler: a hostile folder reads
nothing outside its root, and every file it holds is stored or refused with a reason."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.support.images import bomb_png, encoded, photo_like
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python
from tests.support.scrape import run_scrape


def hostile_folder(tmp_path):
    """A folder of photos with every trap beside them, and an image outside it that must
    never be read (its bytes would be stored if it were)."""
    secret = tmp_path / "outside" / "secret.png"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(encoded(photo_like(90, 90, 99), "PNG"))
    root = tmp_path / "photos"
    (root / "album" / "deeper").mkdir(parents=True)
    (root / "good.png").write_bytes(encoded(photo_like(80, 96, 1), "PNG"))
    (root / "album" / "deeper" / "far.jpg").write_bytes(encoded(photo_like(96, 80, 2), "JPEG", quality=95))
    (root / "..dotted.png").write_bytes(encoded(photo_like(70, 70, 3), "PNG"))  # a name, not a way up
    (root / "album" / "same.png").symlink_to(root / "good.png")                 # inside: allowed
    (root / "escape.png").symlink_to("../outside/secret.png")                   # `..` out of the root
    (root / "absolute.png").symlink_to(secret)
    (root / "album" / "linked").symlink_to(secret.parent, target_is_directory=True)
    os.mkfifo(root / "pipe.png")                                                  # would block a reader
    (root / "bomb.png").write_bytes(bomb_png(30_000, 30_000))
    (root / "fake.jpg").write_text("<html>not a photo</html>")
    (root / "notes.txt").write_text("about these photos")
    return root, hashlib.sha1(secret.read_bytes()).hexdigest()


def test_a_hostile_folder_reads_nothing_outside_its_root_and_says_why(tmp_path):
    root, secret_sha1 = hostile_folder(tmp_path)
    rows, report, out = run_scrape(tmp_path / "run", {"sample": False,
                                                     "folders": [{"path": str(root), "license": "CC0-1.0"}]})
    assert secret_sha1 not in {r["sha1"] for r in rows}
    assert not any(secret_sha1 in p.name for p in (out / "images").iterdir())
    name = f"folder:{root}/"
    stored = {r["url"]: r for r in rows}
    assert set(stored) == {f"{name}..dotted.png", f"{name}album/deeper/far.jpg", f"{name}album/same.png"}
    assert stored[f"{name}album/same.png"]["also_at"] == f"{name}good.png"  # one file, two names
    assert {r["license"] for r in rows} == {"CC0-1.0"}
    assert {r["page_url"] for r in rows} == {name}
    why = {r["url"]: r["reason"] for r in report["rejections"]}
    assert why == {
        f"{name}escape.png": "blocked file outside the source's folder",
        f"{name}absolute.png": "blocked file outside the source's folder",
        f"{name}album/linked": "symlink to a folder, not followed",
        f"{name}pipe.png": "not a regular file",
        f"{name}bomb.png": "decompression bomb",
        f"{name}fake.jpg": "not an image",
        f"{name}notes.txt": "not an image file name",
    }


def test_folders_beside_the_sample_keep_the_sample_as_it_was(tmp_path):
    root = tmp_path / "mine"
    root.mkdir()
    (root / "holiday.png").write_bytes(encoded(photo_like(80, 96, 5), "PNG"))
    sample, _, _ = run_scrape(tmp_path / "a", {"sample": True})
    both, _, _ = run_scrape(tmp_path / "b", {"sample": True, "folders": [{"path": str(root), "license": "mine"}]})
    assert [r for r in both if r["url"].startswith("sample:")] == sample
    assert [r["url"] for r in both if r["license"] == "mine"] == [f"folder:{root}/holiday.png"]


@pytest.mark.parametrize(("folders", "message"), [
    ([{"path": "{tmp}/absent", "license": "x"}], "scrape.folders[0].path='{tmp}/absent': no such folder"),
    ([{"path": "{tmp}/file.png", "license": "x"}], "scrape.folders[0].path='{tmp}/file.png': not a folder"),
    ([{"path": "{tmp}", "license": "x"}, {"path": "{tmp}/", "license": "y"}], "scrape.folders names {tmp} twice"),
    ([{"path": "{tmp}"}], "scrape.folders[0].license is missing"),
])
def test_a_bad_folder_entry_stops_the_stage_naming_it(tmp_path, folders, message):
    (tmp_path / "file.png").write_bytes(b"x")
    folders = [{k: v.format(tmp=tmp_path) for k, v in f.items()} for f in folders]
    params = write_params(tmp_path / "params.yaml", tiny_params(scrape={"sample": False, "folders": folders}))
    proc = python("-m", "pipeline.stages.scrape", str(tmp_path / "raw"), "--params", str(params), check=False)
    assert proc.returncode != 0
    assert message.format(tmp=tmp_path) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "raw").exists()
