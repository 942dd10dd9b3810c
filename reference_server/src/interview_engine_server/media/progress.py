"""The spoken answer in progress for one question, across connections: final segments so far and the
seconds of audio they came from. It lives in the process that holds the candidate's peer; its text is
also saved as the interview's draft, so another process (or this one after a restart) continues it."""

from __future__ import annotations

from dataclasses import dataclass, field

from interview_engine import TranscriptEvent, TranscriptSegment


@dataclass
class AnswerInProgress:
    question_id: str
    prefix: str = ""
    """Text carried over from a saved draft (a connection held by another process)."""
    segments: list[TranscriptSegment] = field(default_factory=list)
    offset_s: float = 0.0
    """Seconds of audio in earlier connections; this connection's times start there."""

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.prefix, *(s.text for s in self.segments)) if part)

    def add_final(self, event: TranscriptEvent) -> TranscriptSegment:
        """Keep a final transcript event as a segment, in seconds from the start of the answer."""
        segment = TranscriptSegment(text=event.text.strip(), start=self.offset_s + event.start,
                                    end=self.offset_s + max(event.start, event.end), confidence=event.confidence)
        self.segments.append(segment)
        return segment

    def answer_kwargs(self, duration_s: float) -> dict[str, object]:
        """Keyword arguments for ``Session.answer`` after ``duration_s`` more seconds of audio."""
        return {"source": "speech", "duration_s": self.offset_s + duration_s, "segments": list(self.segments)}
