"""Pictures are refused from their header when decoding them would cost the server its memory (issue 15)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.guides.pictures import BOX, MAX_DECODED_PIXELS, MAX_PIXELS, PictureError, prepare_picture
from tests.imports import hostile


@pytest.mark.parametrize(
    "make",
    [
        hostile.png_bomb,  # 400 megapixels of one colour in 400 KB: Pillow's own limit
        lambda: hostile.png(5000, 4100),  # 20.5 megapixels, decoded whole
        lambda: hostile.jpeg(5000, 4100, progressive=True),  # libjpeg holds a progressive JPEG whole
        lambda: hostile.jpeg(8000, 6300),  # past the 50 megapixels of a phone's photo
    ],
    ids=["png bomb", "large png", "large progressive jpeg", "jpeg past 50 MP"],
)
def test_a_picture_too_large_to_decode_is_refused_from_its_header(make):
    data = make()
    outcome, growth = hostile.memory_growth(lambda: prepare_picture(data))
    assert isinstance(outcome, PictureError) and outcome.code == "too_many_pixels"
    assert growth < 5, f"{growth:.0f} MB"


def test_a_large_photo_is_decoded_at_a_reduced_scale():
    """48 megapixels would be 144 MB decoded whole; at 1/4 scale they are 9."""
    data = hostile.jpeg(8000, 6000)
    assert 8000 * 6000 <= MAX_PIXELS
    outcome, growth = hostile.memory_growth(lambda: prepare_picture(data))
    _, width, height = outcome
    assert (width, height) == (BOX[0], 540)  # fitted into the box
    assert growth < 40, f"{growth:.0f} MB"


def test_a_long_screenshot_is_read_and_a_photo_on_its_side_stands_up():
    assert 1080 * 18_500 <= MAX_DECODED_PIXELS
    assert prepare_picture(hostile.png(1080, 18_500))[1:] == (75, 1280)
    stored, width, height = prepare_picture(hostile.jpeg(4000, 3000, orientation=6))  # taken holding the phone up
    assert (width, height) == (720, 960) and Image.open(io.BytesIO(stored)).size == (720, 960)


@pytest.mark.parametrize(
    ("fmt", "mode"), [("BMP", "RGB"), ("TIFF", "RGB"), ("ICO", "RGBA"), ("PPM", "RGB"), ("PSD", None)]
)
def test_only_the_formats_of_phones_are_opened(fmt, mode):
    if mode is None:
        data = b"8BPS\x00\x01" + bytes(200)  # a Photoshop header: Pillow would parse it
    else:
        out = io.BytesIO()
        Image.new(mode, (64, 64), "white").save(out, fmt)
        data = out.getvalue()
    with pytest.raises(PictureError) as caught:
        prepare_picture(data)
    assert caught.value.code == "not_a_picture"
