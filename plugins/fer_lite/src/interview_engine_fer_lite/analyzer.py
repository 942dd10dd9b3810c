"""FerLiteAnalyzer: the async EmotionAnalyzer over a pool of FerLiteModels run on worker threads."""

from __future__ import annotations

import logging
import queue
from pathlib import Path

import anyio

from interview_engine.plugin_api import EmotionReading, FaceEmotion, Frame, ProviderError, check_frame, emotion_reading

from .model import DetectorSettings, FerLiteModel, check_file, default_cascade_path, default_model_path

log = logging.getLogger(__name__)


class FerLiteAnalyzer:
    """Offline emotion analysis on fer's quantized TFLite model; never touches the event loop.

    Options: ``workers`` frames analysed at once, each on its own model copy in a worker thread;
    ``num_threads`` LiteRT threads per copy; ``model_path`` and ``cascade_path`` override the model
    bundled with fer and OpenCV's Haar cascade; ``detect_short_side``, ``min_face``, ``scale_factor`` and
    ``min_neighbors`` tune face detection (see DetectorSettings): by default faces under 15% of the
    frame's shorter side are not looked for (a webcam candidate fills 25-50%); lower ``min_face`` to find
    smaller ones at more CPU per frame.
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        num_threads: int = 1,
        model_path: str | None = None,
        cascade_path: str | None = None,
        detect_short_side: int = DetectorSettings.detect_short_side,
        min_face: float = DetectorSettings.min_face,
        scale_factor: float = DetectorSettings.scale_factor,
        min_neighbors: int = DetectorSettings.min_neighbors,
    ) -> None:
        if workers < 1 or num_threads < 1:
            raise ProviderError("fer_lite: workers and num_threads must be >= 1")
        detector = DetectorSettings(detect_short_side, min_face, scale_factor, min_neighbors)
        model = check_file(Path(model_path) if model_path else default_model_path(), "fer emotion model")
        cascade = check_file(Path(cascade_path) if cascade_path else default_cascade_path(), "Haar cascade")
        self.workers = workers
        self._models: queue.SimpleQueue[FerLiteModel] = queue.SimpleQueue()
        for _ in range(workers):
            self._models.put(FerLiteModel(model, cascade, detector, num_threads))
        self._limiter = anyio.CapacityLimiter(workers)
        self._closed = False
        log.info("fer_lite ready: %s, %d worker(s)", model, workers)

    async def analyze(self, frame: Frame) -> EmotionReading:
        """Faces in an RGB frame, largest first, each with seven emotion probabilities."""
        check_frame(frame)
        if self._closed:
            raise ProviderError("fer_lite analyzer is closed")
        faces = await anyio.to_thread.run_sync(self._read, frame, limiter=self._limiter, abandon_on_cancel=True)
        return emotion_reading(faces)

    def _read(self, frame: Frame) -> list[FaceEmotion]:
        model = self._models.get()
        try:
            return model.read(frame)
        finally:
            self._models.put(model)

    async def aclose(self) -> None:
        """Wait for analyses still running (a cancelled call finishes in the background), then free the models."""
        if not self._closed:
            self._closed = True
            await anyio.to_thread.run_sync(self._drain)

    def _drain(self) -> None:
        for _ in range(self.workers):
            self._models.get()
