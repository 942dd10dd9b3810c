"""DeepFaceAnalyzer: the async EmotionAnalyzer over a pool of DeepFace worker processes."""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import anyio

from interview_engine.plugin_api import (
    EmotionReading,
    Frame,
    ModelNotFound,
    ProviderError,
    check_frame,
    emotion_reading,
    face_emotion,
)

from . import worker

log = logging.getLogger(__name__)

HOME_ENV = "DEEPFACE_HOME"


def resolve_home(home: str | None) -> Path:
    """DeepFace's home: the option, else $DEEPFACE_HOME, else the user's home (DeepFace's default)."""
    return Path(home or os.environ.get(HOME_ENV) or Path.home()).expanduser().resolve()


class DeepFaceAnalyzer:
    """Emotion analysis with DeepFace (7 classes, OpenCV face detector) on onnxruntime.

    Each of ``workers`` processes holds its own model, so frames are analysed in parallel and off the
    event loop. Weights are read from ``home`` (default ``$DEEPFACE_HOME``, else ``~``) at
    ``<home>/.deepface/weights/facial_expression_model_weights.onnx``; nothing is ever downloaded.
    Frames are downscaled to ``max_side`` pixels on their longer side before detection.
    """

    def __init__(self, *, workers: int = 1, home: str | None = None, max_side: int = 1280) -> None:
        if workers < 1 or max_side < 1:
            raise ProviderError("deepface: workers and max_side must be >= 1")
        if importlib.util.find_spec("deepface") is None:
            raise ModelNotFound("deepface is not installed; run `pip install --no-deps deepface==0.0.103`")
        root = resolve_home(home)
        weights = worker.weights_dir(root) / worker.WEIGHTS_FILE
        if not weights.is_file():
            raise ModelNotFound(f"no DeepFace emotion model at {weights}; put {worker.WEIGHTS_FILE} there "
                                f"or set {HOME_ENV} (downloads are disabled)")
        self.max_side = max_side
        self.home = str(root)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self._slots = anyio.CapacityLimiter(workers)
        self._closed = False
        log.info("deepface ready: %s, %d worker process(es)", weights, workers)

    async def analyze(self, frame: Frame) -> EmotionReading:
        """Faces in an RGB frame, largest first, each with seven emotion probabilities."""
        check_frame(frame)
        if self._closed:
            raise ProviderError("deepface analyzer is closed")
        async with self._slots:
            future = self._pool.submit(worker.read, frame, self.max_side, self.home)
            try:
                raw = await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)
            except BrokenProcessPool as exc:
                raise ProviderError(f"a deepface worker process died: {exc}") from exc
            except Exception as exc:
                raise ProviderError(f"deepface failed on a frame: {type(exc).__name__}: {exc}") from exc
            finally:
                future.cancel()  # a no-op once it ran; drops a frame still queued when we were cancelled
        size = (frame.shape[0], frame.shape[1])
        return emotion_reading(face_emotion(scores, box, size) for scores, box in raw)

    async def aclose(self) -> None:
        """Stop the worker processes after the frames they are on."""
        if not self._closed:
            self._closed = True
            await anyio.to_thread.run_sync(partial(self._pool.shutdown, wait=True, cancel_futures=True))
