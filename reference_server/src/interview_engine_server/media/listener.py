"""One connection's microphone becomes answers: each answer's audio goes through the SDK's AudioPipeline
and the interview's Transcriber; interim and final transcripts are published on the interview's event
stream; the answer ends when the candidate says they are done, after the configured silence, or at the
longest answer allowed; its transcript is recorded with ``source="speech"``.

The transcript so far is saved as the interview's draft at every final segment, so when the track ends
mid-answer (a dropped connection) nothing is recorded and the next connection continues the answer.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from interview_engine import (
    AnswerAlreadyRecorded,
    IllegalTransition,
    InterviewNotFound,
    InvalidAnswer,
    Question,
    Session,
    Transcriber,
    TranscriptEvent,
    TranscriptionOptions,
    WrongQuestion,
)
from interview_engine.media import AnswerEnded, AudioPipeline, EndpointConfig

from ..answering import Recorded, record_answer
from ..drafts import MAX_DRAFT_CHARS, DraftRequest
from .interims import InterimPublisher
from .progress import AnswerInProgress
from .track_audio import TrackPcm

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)

REFUSED = (AnswerAlreadyRecorded, IllegalTransition, InterviewNotFound, InvalidAnswer, WrongQuestion)
"""Why the store may refuse a spoken answer: paused, finished, answered elsewhere, deleted, too long."""

DoneResult = Recorded | None
"""What a "done answering" call gets: the recorded answer, or None when nothing was said."""


class AnswerListener:
    """Runs the answers of one audio track until it ends or the interview has no question left."""

    def __init__(self, services: Services, session: Session, transcriber: Transcriber, pcm: TrackPcm,
                 progress: dict[str, AnswerInProgress]) -> None:
        self.services = services
        self.session = session
        self.transcriber = transcriber
        self.pcm = pcm
        self._progress = progress
        self._waiters: list[asyncio.Future[DoneResult]] = []

    def done(self) -> asyncio.Future[DoneResult]:
        """End the answer in progress now; the future resolves once it is recorded."""
        waiter: asyncio.Future[DoneResult] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self.pcm.done()
        return waiter

    async def run(self) -> None:
        try:
            while not self.pcm.ended:
                await self.session.refresh()
                question = self.session.current_question
                if question is None:
                    break
                await self._answer(question, await self._progress_for(question))
        except Exception as exc:  # a transcriber or store failure: "done" says so, the peer closes
            self._settle(exc)
            raise
        finally:
            self._settle(None)

    async def _progress_for(self, question: Question) -> AnswerInProgress:
        progress = self._progress.get(self.session.id)
        if progress is None or progress.question_id != question.id:
            draft = await self.services.drafts.get(self.session.id, question.id)
            progress = AnswerInProgress(question.id, prefix=draft.text if draft else "")
            self._progress[self.session.id] = progress
        return progress

    async def _answer(self, question: Question, progress: AnswerInProgress) -> None:
        settings = self.services.settings
        pipeline = AudioPipeline(
            self.transcriber, TranscriptionOptions(language=self.session.spec.language),
            endpoint=EndpointConfig(silence_s=settings.live_silence_s), max_answer_s=settings.live_max_answer_s)
        ended: AnswerEnded | None = None
        interims = InterimPublisher(lambda data: self._publish("transcript.interim", data))
        try:
            async with aclosing(self.pcm.answer()) as audio, pipeline.listen(audio) as events:
                async for event in events:
                    if isinstance(event, AnswerEnded):
                        ended = event
                    else:
                        await self._transcript(progress, event, interims)
            await interims.settle()
        finally:
            await interims.aclose()
        log.debug("answer to %s: %d interim transcripts published, %d replaced by newer ones",
                  progress.question_id, interims.published, interims.replaced)
        assert ended is not None
        heard_s = pipeline.stats.received_s
        if ended.reason == "end_of_audio" and self.pcm.last_mark == "ended":
            progress.offset_s += heard_s  # a dropped connection: the next one continues this answer
            return
        result = await self._record(progress, ended.duration_s) if progress.text else None
        if result is None:
            progress.offset_s += heard_s
        self._settle(result)

    async def _transcript(self, progress: AnswerInProgress, event: TranscriptEvent,
                          interims: InterimPublisher) -> None:
        data: dict[str, Any] = {"question_id": progress.question_id, "text": event.text.strip()}
        if event.kind == "final" and data["text"]:
            segment = progress.add_final(event)
            data |= {"start": segment.start, "end": segment.end, "confidence": segment.confidence,
                     "answer_text": progress.text}
            await interims.settle()
            await self._publish("transcript.final", data)
            await self._save_draft(progress)
        elif event.kind == "interim" and data["text"]:
            interims.offer(data)

    async def _record(self, progress: AnswerInProgress, duration_s: float) -> Recorded | BaseException | None:
        services, session = self.services, self.session
        record = await services.records.get(session.id, session.tenant)
        if record is None:  # the interview was deleted meanwhile
            return None
        try:
            recorded = await record_answer(services, session, record, progress.question_id, progress.text,
                                           **progress.answer_kwargs(duration_s))
        except REFUSED as exc:  # the draft keeps the text
            log.info("spoken answer to %s not recorded: %s", progress.question_id, exc)
            return exc
        self._progress.pop(session.id, None)
        return recorded

    async def _save_draft(self, progress: AnswerInProgress) -> None:
        text = progress.text
        if len(text) > MAX_DRAFT_CHARS:
            return
        await self.services.drafts.save(self.session.id, DraftRequest(question_id=progress.question_id, text=text))

    async def _publish(self, type: Any, data: dict[str, Any]) -> None:
        await self.services.events.publish(tenant_id=self.session.tenant, interview_id=self.session.id, type=type,
                                           data=data)

    def _settle(self, result: Recorded | BaseException | None) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            if isinstance(result, BaseException):
                waiter.set_exception(result)
            else:
                waiter.set_result(result)
