"""Pixel formats to RGB, validation of frames, and downscaling of large frames."""

from __future__ import annotations

import numpy as np
import pytest

from interview_engine.errors import InvalidFrame
from interview_engine.media.frames_convert import check_image, downscale, to_rgb

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def i420(y: np.ndarray, u: int, v: int) -> np.ndarray:
    """An I420 frame with luma ``y`` and constant chroma, as one (H*3/2) x W array."""
    h, w = y.shape
    chroma = np.concatenate([np.full(h * w // 4, u), np.full(h * w // 4, v)]).astype(np.uint8)
    return np.concatenate([y.reshape(-1), chroma]).reshape(h * 3 // 2, w)


@pytest.mark.parametrize(("image", "fmt"), [
    (RGB, "rgb"),
    (np.ascontiguousarray(RGB[:, :, ::-1]), "bgr"),
    (np.dstack([RGB, np.full(RGB.shape[:2], 255, np.uint8)]), "rgba"),
    (np.dstack([RGB[:, :, ::-1], np.zeros(RGB.shape[:2], np.uint8)]), "bgra"),
])
def test_colour_layouts_become_rgb(image: np.ndarray, fmt: str) -> None:
    out = to_rgb(image, fmt)  # type: ignore[arg-type]
    assert out.flags.c_contiguous and out.dtype == np.uint8
    np.testing.assert_array_equal(out, RGB)


@pytest.mark.parametrize("shape", [(6, 8), (6, 8, 1)])
def test_grey_repeats_into_three_channels(shape: tuple[int, ...]) -> None:
    grey = RNG.integers(0, 256, shape, dtype=np.uint8)
    out = to_rgb(grey, "gray")
    assert out.shape == (6, 8, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[:, :, channel], grey.reshape(6, 8))


@pytest.mark.parametrize(("y", "u", "v", "rgb"), [
    (81, 90, 240, (255, 0, 0)),     # BT.601 limited-range red
    (145, 54, 34, (0, 255, 0)),     # green
    (41, 240, 110, (0, 0, 255)),    # blue
    (126, 128, 128, (128, 128, 128)),
    (16, 128, 128, (0, 0, 0)),
    (235, 128, 128, (255, 255, 255)),
])
def test_yuv420p_colours(y: int, u: int, v: int, rgb: tuple[int, int, int]) -> None:
    out = to_rgb(i420(np.full((4, 6), y, np.uint8), u, v), "yuv420p")
    assert out.shape == (4, 6, 3)
    assert np.abs(out.astype(int) - rgb).max() <= 3


def test_yuv420p_keeps_luma_in_place() -> None:
    luma = np.full((6, 4), 16, np.uint8)
    luma[3:] = 235  # dark top, white bottom; 6 rows: chroma rows are not whole luma rows
    out = to_rgb(i420(luma, 128, 128), "yuv420p")
    assert out[:3].max() == 0 and out[3:].min() == 255


@pytest.mark.parametrize(("image", "fmt"), [
    (np.zeros((4, 4, 3), np.float32), "rgb"),
    (np.zeros((0, 4, 3), np.uint8), "rgb"),
    (np.zeros((4, 4), np.uint8), "rgb"),
    (np.zeros((4, 4, 4), np.uint8), "rgb"),
    (np.zeros((4, 4, 3), np.uint8), "rgba"),
    (np.zeros((4, 4, 3), np.uint8), "gray"),
    (np.zeros(12, np.uint8), "gray"),
    (np.zeros((6, 5), np.uint8), "yuv420p"),
    (np.zeros((5, 4), np.uint8), "yuv420p"),
    (np.zeros((4, 4, 3), np.uint8), "yuv420p"),
    (b"\x00" * 48, "rgb"),
    (np.zeros((4, 4, 3), np.uint8), "hsv"),
], ids=["float", "empty", "2d-as-rgb", "4ch-as-rgb", "3ch-as-rgba", "3ch-as-gray", "1d", "odd-width-yuv",
        "rows-yuv", "3d-yuv", "bytes", "unknown-format"])
def test_bad_images_are_invalid_frames(image: object, fmt: str) -> None:
    with pytest.raises(InvalidFrame):
        check_image(image, fmt)
    with pytest.raises(InvalidFrame):
        to_rgb(image, fmt)  # type: ignore[arg-type]


def test_4k_is_downscaled_by_a_whole_factor() -> None:
    frame = np.zeros((2160, 3840, 3), np.uint8)
    small, factor = downscale(frame, 1280)
    assert (small.shape, factor) == ((720, 1280, 3), 3)


def test_downscale_averages_blocks_and_crops_the_remainder() -> None:
    frame = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    small, factor = downscale(frame, 3)
    assert factor == 3 and small.shape == (1, 2, 3)
    expected = frame[:3, :6].reshape(1, 3, 2, 3, 3).astype(float).mean(axis=(1, 3))
    np.testing.assert_array_equal(small, np.round(expected).astype(np.uint8))


def test_frames_that_fit_are_left_alone() -> None:
    small, factor = downscale(RGB, 8)
    assert small is RGB and factor == 1
    with pytest.raises(ValueError):
        downscale(RGB, 0)
