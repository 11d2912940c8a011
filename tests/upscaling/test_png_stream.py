"""The streaming PNG writer: valid files that decode to the pixels given, whatever the bands."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from pipeline.upscaling.png_stream import PIECE_BYTES, PngStream, adler32_combine
from tests.support.images import photo_like


def encode(img: np.ndarray, bands: list[int], **options) -> bytes:
    f = io.BytesIO()
    channels = 1 if img.ndim == 2 else img.shape[2]
    with PngStream(f, img.shape[1], img.shape[0], channels, **options) as png:
        top = 0
        for n in bands:
            png.write(img[top:top + n])
            top += n
    return f.getvalue()


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each chunk, checking every CRC on the way."""
    out, at = [], 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        out.append((kind, body))
        at += 12 + length
    return out


def test_adler32_of_joined_data_from_the_parts():
    rng = np.random.default_rng(0)
    for a_len, b_len in [(0, 5), (5, 0), (3, 70_001), (100_000, 12_345)]:
        a, b = rng.bytes(a_len), rng.bytes(b_len)
        assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


@pytest.mark.parametrize(("shape", "mode"), [((37, 5), "L"), ((300, 700, 3), "RGB"), ((900, 400, 4), "RGBA"),
                                             ((513, 1300, 2), "LA"), ((1, 1, 3), "RGB")])
def test_pixels_round_trip_and_bytes_do_not_depend_on_the_bands(shape, mode):
    img = photo_like(shape[0], shape[1])
    img = np.asarray(Image.fromarray(img).convert(mode))
    height = shape[0]
    splits = [[height], [1] * min(height, 50) + ([height - 50] if height > 50 else []),
              [height // 3, height - height // 3]]
    files = {encode(img, [n for n in bands if n]) for bands in splits}
    assert len(files) == 1
    data = files.pop()
    back = Image.open(io.BytesIO(data))
    assert back.mode == mode
    assert np.array_equal(np.asarray(back), img)
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert set(kinds[1:-1]) == {b"IDAT"}
    zlib.decompress(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))  # one valid stream


def test_a_large_image_is_many_pieces_in_one_stream():
    img = photo_like(900, 1200)  # 3.2 MB of rows: several pieces
    data = encode(img, [100] * 9, threads=2)
    idat = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    raw = zlib.decompress(idat)
    assert len(raw) == 900 * (1200 * 3 + 1) > 3 * PIECE_BYTES
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), img)
    assert data == encode(img, [900], threads=1)  # threads change the speed, not the bytes


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_every_deflate_level_makes_one_valid_stream(level):
    img = photo_like(700, 800)  # two pieces
    data = encode(img, [350, 350], level=level)
    zlib.decompress(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), img)


def test_pieces_are_primed_with_what_came_before():
    # Rows repeating every 8 (29 KB, inside deflate's window): each piece compresses from its
    # first row only if primed with the data before it (unprimed: twice the size). Level 3:
    # ISA-L's faster levels keep one position per hash and lose matches that far back in
    # random bytes.
    rng = np.random.default_rng(0)
    img = np.tile(rng.integers(0, 256, (8, 1200, 3), dtype=np.uint8), (113, 1, 1))[:900]
    idat = b"".join(body for kind, body in chunks(encode(img, [900], level=3)) if kind == b"IDAT")
    assert len(idat) < 1.01 * len(zlib.compress(zlib.decompress(idat), 1))


def test_icc_profile_is_carried():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(photo_like(20, 30), [20], icc_profile=srgb)
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == srgb


def test_wrong_rows_are_refused_by_shape_and_count():
    f = io.BytesIO()
    png = PngStream(f, 10, 4, 3)
    with pytest.raises(ValueError, match=r"rows of shape \(2, 11, 3\)"):
        png.write(np.zeros((2, 11, 3), np.uint8))
    with pytest.raises(ValueError, match="float32"):
        png.write(np.zeros((2, 10, 3), np.float32))
    png.write(np.zeros((3, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="more rows than the 4"):
        png.write(np.zeros((2, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="declared with 4 rows but given 3"):
        png.close()
    with pytest.raises(ValueError, match="1-4 channels, not 5"):
        PngStream(f, 10, 4, 5)
    with pytest.raises(ValueError, match="deflate level 6: ISA-L has levels 0 to 3"):
        PngStream(f, 10, 4, 3, level=6)


def test_an_error_midway_leaves_the_stream_unfinished():
    f = io.BytesIO()

    def stopped_midway() -> None:
        with PngStream(f, 10, 4, 3) as png:
            png.write(np.zeros((2, 10, 3), np.uint8))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped_midway()
    assert b"IDAT" in f.getvalue()
    assert b"IEND" not in f.getvalue()


def test_the_last_rows_hand_all_the_compression_to_the_threads_before_close():
    img = photo_like(700, 400)  # several pieces
    f = io.BytesIO()
    png = PngStream(f, 400, 700, 3)
    png.write(img[:300])
    png.write(img[300:])
    # A batch starts the next photo before it closes this one: nothing may be left for close().
    assert not png.waiting
    for piece in list(png.pieces):
        piece.result()
    png.close()
    assert f.getvalue() == encode(img, [700])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(f.getvalue()))), img)
