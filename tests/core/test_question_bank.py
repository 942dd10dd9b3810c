"""The built-in question bank as a QuestionSource: role matching, planning, follow-ups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_engine.builtin.question_bank import QuestionBankSource, default_bank, plan
from interview_engine.errors import ConfigurationError
from interview_engine.models import Answer, FollowUpRequest, InterviewSpec, Question, QuestionPlanRequest

BANK = default_bank()


@pytest.mark.parametrize("title, family", [
    ("Senior Backend Engineer", "backend"),
    ("백엔드 개발자", "backend"),
    ("Frontend developer (React)", "frontend"),
    ("데이터 엔지니어", "data"),
    ("Machine Learning Engineer", "ml"),
    ("SRE", "devops"),
    ("iOS developer", "mobile"),
    ("Product Manager", "product_manager"),
    ("Enterprise Account Executive", "sales"),
    ("Underwater basket weaver", None),
])
def test_role_resolution(title: str, family: str | None) -> None:
    assert BANK.resolve_role(title) == family


@given(role=st.sampled_from(sorted(BANK.roles)), level=st.sampled_from(["junior", "mid", "senior"]),
       count=st.integers(1, 30), seed=st.text(max_size=8))
def test_plans_are_unique_sized_and_mixed(role: str, level: str, count: int, seed: str) -> None:
    picks = plan(BANK, role, level, count, seed=seed, avoid=set())  # type: ignore[arg-type]
    assert len(picks) == count and len({q.id for q in picks}) == count
    own = [q for q in picks if q.id.startswith(f"{role}-{level}-")]
    assert len(own) == min(count, len([q for q in BANK.roles[role] if q.level == level]))
    if count > 1:
        assert sum(q.focus != "technical" for q in picks) >= 1
        assert picks[0].focus != "technical"  # open with an experience question
    if count >= 4:
        assert len({q.competency for q in picks}) >= 3


def test_plans_are_deterministic_per_interview_and_vary_across_interviews() -> None:
    first = [q.id for q in plan(BANK, "backend", "mid", 5, seed="a", avoid=set())]
    assert first == [q.id for q in plan(BANK, "backend", "mid", 5, seed="a", avoid=set())]
    assert any([q.id for q in plan(BANK, "backend", "mid", 5, seed=s, avoid=set())] != first for s in "bcdef")


def test_unknown_roles_get_general_questions() -> None:
    picks = plan(BANK, "Underwater basket weaver", "mid", 4, seed="x", avoid=set())
    assert len(picks) == 4 and all(q.id.startswith("general-") for q in picks)


@pytest.mark.anyio
async def test_source_speaks_the_interview_language_and_avoids_custom_questions() -> None:
    source = QuestionBankSource()
    spec = InterviewSpec(role="백엔드", language="ko", question_count=6)
    avoid = [q.text["ko"] for q in BANK.roles["backend"] if q.level == "mid"][:5]
    request = QuestionPlanRequest(spec=spec, count=6, interview_id="i", avoid=avoid)
    drafts = [d async for d in source.first_questions(request)]
    assert len(drafts) == 6 and not {d.text for d in drafts} & set(avoid)
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in d.text) for d in drafts)


@pytest.mark.anyio
async def test_follow_up_only_on_short_answers() -> None:
    source = QuestionBankSource()
    spec = InterviewSpec(role="backend", language="en")
    question = Question(interview_id="i", ordinal=0, kind="generated", text="q?", competency="databases")

    def request(text: str) -> FollowUpRequest:
        return FollowUpRequest(spec=spec, question=question, follow_ups_left=1,
                               answer=Answer(interview_id="i", question_id=question.id, text=text))

    short = await source.follow_up(request("I used indexes."))
    assert short is not None and short.text == BANK.follow_ups["ask_example"]["en"]
    assert short.competency == "databases"
    assert await source.follow_up(request(" ".join(["word"] * 40))) is None


def test_broken_bank_files_are_configuration_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="does not exist"):
        QuestionBankSource(path=str(tmp_path / "none.json"))
    (tmp_path / "bad.json").write_text('{"version": "1"}')
    with pytest.raises(ConfigurationError, match="malformed"):
        QuestionBankSource(path=str(tmp_path / "bad.json"))
