"""Prompt templates (data files under ``prompts/{en,ko}/``) and the fencing that keeps untrusted text
(answers, resumes, job descriptions) inert inside a prompt."""

from __future__ import annotations

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


def new_nonce() -> str:
    """A random tag suffix an answer cannot guess, so it cannot close its own fence."""
    return secrets.token_hex(4)


def fence(label: str, text: str, nonce: str, *, limit: int | None = None) -> str:
    """``text`` between ``<label-nonce>`` tags, with anything resembling a fence tag neutralised and,
    with ``limit``, cut to that many characters."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + " …"
    clean = _LOOKALIKE.sub(lambda m: m.group(0).translate(_NEUTRAL), text)
    return f"<{label}-{nonce}>\n{clean}\n</{label}-{nonce}>"
