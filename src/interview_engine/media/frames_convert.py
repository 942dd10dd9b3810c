"""Pixel formats to RGB, and downscaling of large frames. numpy only, so any worker can import it.

Conversions cost milliseconds on large frames: call them from a worker thread, not the event loop.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from ..errors import InvalidFrame
from ..providers import Frame

PixelFormat = Literal["rgb", "bgr", "rgba", "bgra", "gray", "yuv420p"]
"""``yuv420p`` is planar I420 (BT.601, limited range) as one (H*3/2) x W array, the layout of
``av.VideoFrame.to_ndarray(format="yuv420p")``; ``gray`` is H x W or H x W x 1."""

PIXEL_FORMATS: tuple[PixelFormat, ...] = get_args(PixelFormat)
_CHANNELS: dict[str, int] = {"rgb": 3, "bgr": 3, "rgba": 4, "bgra": 4}


def check_image(image: object, fmt: str = "rgb") -> None:
    """Raise InvalidFrame unless ``image`` is a non-empty uint8 array laid out as ``fmt`` says."""
    if fmt not in PIXEL_FORMATS:
        raise InvalidFrame(f"unknown pixel format {fmt!r}; expected one of {', '.join(PIXEL_FORMATS)}")
    shape = getattr(image, "shape", None)
    dtype = getattr(image, "dtype", None)
    if shape is None or str(dtype) != "uint8" or 0 in shape:
        got = f"{dtype or type(image).__name__} {shape}"
        raise InvalidFrame(f"expected a non-empty uint8 {fmt} image, got {got}")
    if not _has_layout(tuple(shape), fmt):
        raise InvalidFrame(f"a {fmt} image cannot have shape {tuple(shape)}")


def _has_layout(shape: tuple[int, ...], fmt: str) -> bool:
    if fmt == "gray":
        return len(shape) == 2 or (len(shape) == 3 and shape[2] == 1)
    if fmt == "yuv420p":
        return len(shape) == 2 and shape[0] % 3 == 0 and (2 * shape[0] // 3) % 2 == 0 and shape[1] % 2 == 0
    return len(shape) == 3 and shape[2] == _CHANNELS[fmt]


def to_rgb(image: npt.NDArray[np.uint8], fmt: PixelFormat = "rgb") -> Frame:
    """An H x W x 3 RGB copy (or the array itself when it already is contiguous RGB)."""
    check_image(image, fmt)
    if fmt == "yuv420p":
        return _i420_to_rgb(image)
    if fmt == "gray":
        plane = image.reshape(image.shape[0], image.shape[1])
        return np.repeat(plane[:, :, None], 3, axis=2)
    rgb = image[:, :, 2::-1] if fmt in ("bgr", "bgra") else image[:, :, :3]
    return np.ascontiguousarray(rgb)


def _i420_to_rgb(image: npt.NDArray[np.uint8]) -> Frame:
    h, w = 2 * image.shape[0] // 3, image.shape[1]
    flat = image.reshape(-1)
    quarter = (h // 2) * (w // 2)
    y = flat[: h * w].reshape(h // 2, 2, w // 2, 2).astype(np.float32)
    u = flat[h * w : h * w + quarter].reshape(h // 2, 1, w // 2, 1).astype(np.float32) - 128
    v = flat[h * w + quarter : h * w + 2 * quarter].reshape(h // 2, 1, w // 2, 1).astype(np.float32) - 128
    luma = 1.164 * (y - 16)
    rgb = np.stack([luma + 1.596 * v, luma - 0.392 * u - 0.813 * v, luma + 2.017 * u], axis=-1)
    out: Frame = np.clip(rgb, 0, 255).round().astype(np.uint8).reshape(h, w, 3)
    return out


def downscale(frame: Frame, max_side: int) -> tuple[Frame, int]:
    """Shrink ``frame`` by the smallest whole factor that brings its longer side to ``max_side`` or less,
    averaging each factor x factor block. Returns the frame and the factor (1 when it already fits)."""
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    h, w = frame.shape[:2]
    factor = -(-max(h, w) // max_side)
    if factor <= 1:
        return frame, 1
    rows, cols = h // factor, w // factor
    blocks = frame[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor, frame.shape[2])
    total = blocks.sum(axis=(1, 3), dtype=np.uint32)
    return ((total + factor * factor // 2) // (factor * factor)).astype(np.uint8), factor
