"""The built-in question bank: curated, versioned questions in Korean and English, so an interview runs
with no model at all. Registered as the question source ``bank``."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigurationError
from ..grounding import word_count
from ..hookspecs import hookimpl
from ..models import FollowUpRequest, Language, Level, QuestionDraft, QuestionPlanRequest

QuestionFocus = Literal["technical", "experience", "behavioral"]
PROBES = ("ask_example", "ask_depth", "ask_result", "ask_tradeoff")
LEVELS: tuple[Level, ...] = ("junior", "mid", "senior")


@dataclass(frozen=True)
class BankQuestion:
    id: str
    level: str
    competency: str
    focus: QuestionFocus
    text: dict[Language, str]


@dataclass(frozen=True)
class QuestionBank:
    """The parsed data file."""

    version: str
    roles: dict[str, list[BankQuestion]]
    aliases: dict[str, str]
    general: list[BankQuestion]
    follow_ups: dict[str, dict[Language, str]]

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> QuestionBank:
        source = Path(path) if path else files("interview_engine.builtin") / "data" / "question_bank.json"
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
            return cls._parse(data)
        except FileNotFoundError as exc:
            raise ConfigurationError(f"question bank file {str(source)!r} does not exist") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"question bank file {str(source)!r} is malformed: {exc}") from exc

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> QuestionBank:
        def question(raw: dict[str, Any]) -> BankQuestion:
            return BankQuestion(raw["id"], raw["level"], raw["competency"], raw["focus"],
                                {"en": raw["en"], "ko": raw["ko"]})

        roles = {key: [question(q) for q in role["questions"]] for key, role in data["roles"].items()}
        aliases = {key: key for key in roles}
        for key, role in data["roles"].items():
            aliases.update({alias.lower(): key for alias in role.get("aliases", [])})
        return cls(
            version=data["version"],
            roles=roles,
            aliases=aliases,
            general=[question(q) for q in data["general"]],
            follow_ups={k: {"en": v["en"], "ko": v["ko"]} for k, v in data["follow_ups"].items()},
        )

    def resolve_role(self, role: str) -> str | None:
        """Map free text ("Senior Backend Engineer", "백엔드 개발자") to a role family, or None."""
        text = " ".join(role.lower().replace("-", " ").replace("_", " ").split())
        if text in self.aliases:
            return self.aliases[text]
        matches = [(len(alias), key) for alias, key in self.aliases.items() if _contains_phrase(text, alias)]
        return max(matches)[1] if matches else None


def _contains_phrase(text: str, phrase: str) -> bool:
    phrase = " ".join(phrase.replace("-", " ").replace("_", " ").split())
    if phrase.isascii():
        return f" {phrase} " in f" {text} "
    return phrase in text  # Korean particles attach to words, so match inside them


@cache
def default_bank() -> QuestionBank:
    return QuestionBank.from_file()


def plan(bank: QuestionBank, role: str, level: Level, count: int, *, seed: str, avoid: set[str]) -> list[BankQuestion]:
    """Pick ``count`` questions: the role's questions at its level first (then neighbouring levels, then
    general ones), spreading competencies, with about a third on experience, opening with one."""
    rng = random.Random(seed)
    family = bank.resolve_role(role)
    tiers: list[list[BankQuestion]] = []
    if family is not None:
        by_level = {lv: [q for q in bank.roles[family] if q.level == lv] for lv in LEVELS}
        neighbours = sorted(LEVELS, key=lambda lv: abs(LEVELS.index(lv) - LEVELS.index(level)))
        tiers = [by_level[lv] for lv in neighbours]
    tiers.append(list(bank.general))
    wanted_stories = max(1, count // 3) if count > 1 else 0
    chosen: list[BankQuestion] = []
    for tier in tiers:
        pool = [q for q in tier if q.text["en"] not in avoid and q.text["ko"] not in avoid]
        rng.shuffle(pool)
        while pool and len(chosen) < count:
            stories = sum(q.focus != "technical" for q in chosen)
            need_story = stories < wanted_stories and (count - len(chosen)) <= (wanted_stories - stories)
            seen = {q.competency for q in chosen}
            pick = next((q for q in pool if need_story and q.focus != "technical"), None) or next(
                (q for q in pool if q.competency not in seen), pool[0]
            )
            pool.remove(pick)
            chosen.append(pick)
    stories_first = sorted(range(len(chosen)), key=lambda i: (chosen[i].focus == "technical", i))[:1]
    return [chosen[i] for i in stories_first] + [q for i, q in enumerate(chosen) if i not in stories_first]


class QuestionBankSource:
    """QuestionSource over the bank. Follows up only on short answers, with a generic probe."""

    def __init__(self, path: str | None = None, short_answer_words: int = 20) -> None:
        self.bank = QuestionBank.from_file(path) if path else default_bank()
        self.short_answer_words = short_answer_words

    async def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        spec = request.spec
        picks = plan(self.bank, spec.role, spec.level, request.count, seed=request.interview_id,
                     avoid=set(request.avoid))
        for q in picks:
            yield QuestionDraft(text=q.text[spec.language], competency=q.competency)

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        if word_count(request.answer.text) >= self.short_answer_words:
            return None
        probe = PROBES[min(request.question.depth, len(PROBES) - 1)]
        return QuestionDraft(text=self.bank.follow_ups[probe][request.spec.language],
                             competency=request.question.competency)


@hookimpl
def register_question_sources(register: Any) -> None:
    register("bank", QuestionBankSource)
