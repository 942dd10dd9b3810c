"""Prompt templates (data files under ``prompts/{en,ko}/``) and the fencing that keeps untrusted text
(answers, resumes, job descriptions) inert inside a prompt."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache
from importlib.resources import files
from string import Template

from ..models import Language

FENCE_LABELS = ("answer", "question", "resume", "job_description", "history", "planned", "avoid")
_LOOKALIKE = re.compile(r"<\s*/?\s*(?:" + "|".join(FENCE_LABELS) + r")\b[^<>]{0,40}>?", re.IGNORECASE)
_NEUTRAL = str.maketrans({"<": "‹", ">": "›"})


@cache
def template(language: Language, name: str) -> Template:
    """The template ``prompts/<language>/<name>.md``; placeholders are ``$name``."""
    text = (files("interview_engine.llm") / "prompts" / language / f"{name}.md").read_text(encoding="utf-8")
    return Template(text.strip())


def render(language: Language, name: str, **values: object) -> str:
    """Fill a template; every placeholder must be given (values are inserted once, never re-parsed)."""
    return template(language, name).substitute({k: str(v) for k, v in values.items()})


_SECRET = secrets.token_bytes(32)
"""Keys ``stable_nonce``: fixed for the life of the process, never sent anywhere."""


def new_nonce() -> str:
    """A random tag suffix an answer cannot guess, so it cannot close its own fence."""
    return secrets.token_hex(4)


def stable_nonce(text: str) -> str:
    """A tag suffix that is the same for the same ``text`` within this process (so a prompt that fences
    it is byte-identical each time, and a backend can reuse its cached prefix) and that nobody without
    the process's secret can predict. For trusted text only (a question), never for an answer: the
    answer's own fence takes ``new_nonce``."""
    return hmac.new(_SECRET, text.encode("utf-8"), hashlib.sha256).hexdigest()[:8]


def fence(label: str, text: str, nonce: str, *, limit: int | None = None) -> str:
    """``text`` between ``<label-nonce>`` tags, with anything resembling a fence tag neutralised and,
    with ``limit``, cut to that many characters."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + " …"
    clean = _LOOKALIKE.sub(lambda m: m.group(0).translate(_NEUTRAL), text)
    return f"<{label}-{nonce}>\n{clean}\n</{label}-{nonce}>"
