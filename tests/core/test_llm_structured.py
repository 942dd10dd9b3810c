"""interview_engine.llm: JSON extraction, streaming item scanning, schemas and bounded retries."""

from __future__ import annotations

import json

import pytest

from interview_engine.errors import EvaluationFailed, ProviderError
from interview_engine.llm import ChatMessage, evaluation_schema, follow_up_schema, questions_schema
from interview_engine.llm.schemas import FollowUpDecision, RawScoreCard, answer_fragments
from interview_engine.llm.structured import ItemScanner, extract_json, generate_structured, parse_output
from interview_engine.llm.testing import ScriptedBackend
from interview_engine.models import InterviewSpec, RubricDimension

MESSAGES = [ChatMessage(role="user", content="decide")]


@pytest.mark.parametrize("text", [
    '{"follow_up": false, "question": ""}',
    'Sure! ```json\n{"follow_up": false, "question": ""}\n``` hope that helps',
    'Here it is: {"follow_up": false, "question": ""} done.',
])
def test_extract_json_tolerates_chatter(text: str) -> None:
    assert json.loads(extract_json(text)) == {"follow_up": False, "question": ""}


def test_ratings_off_the_scale_are_invalid() -> None:
    card = parse_output(_card_with_rating(5), RawScoreCard)
    assert card.scores["a"].rating == 5
    with pytest.raises(ValueError, match=r"scores\.a\.rating"):
        parse_output(_card_with_rating(80), RawScoreCard)


def _card_with_rating(rating: int) -> str:
    scores = {"a": {"evidence": [], "rating": rating}}
    return json.dumps({"answers_question": True, "verdict": "good", "scores": scores})


def test_parse_output_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="follow_up"):
        parse_output('{"question": "Why?"}', FollowUpDecision)


def test_scanner_yields_items_as_they_close_across_chunk_boundaries() -> None:
    text = json.dumps({"questions": [
        {"focus": "technical", "text": 'Braces {inside} and "quotes" ] are [text'},
        {"focus": "experience", "text": "Second?"},
    ]})
    scanner = ItemScanner()
    seen: list[tuple[int, str]] = []
    for i, char in enumerate(text):
        seen.extend((i, item["text"]) for item in scanner.feed(char))
    assert [t for _, t in seen] == ['Braces {inside} and "quotes" ] are [text', "Second?"]
    assert seen[0][0] < text.index("Second")  # the first item came out before the second was written


def test_scanner_handles_a_bare_array_and_skips_broken_items() -> None:
    scanner = ItemScanner()
    assert scanner.feed('[{"text": "ok"}, {"text": bad}, {"text": "fine"}]') == [{"text": "ok"}, {"text": "fine"}]


def test_evaluation_schema_lists_every_dimension_in_rubric_order() -> None:
    spec = InterviewSpec(role="x", rubric=(RubricDimension(key="depth", name="Depth"),
                                           RubricDimension(key="clarity", name="Clarity")))
    schema = evaluation_schema(spec)
    assert list(schema["properties"]["scores"]["properties"]) == ["depth", "clarity"]
    assert schema["properties"]["scores"]["required"] == ["depth", "clarity"]
    assert schema["properties"]["scores"]["properties"]["depth"]["properties"]["rating"]["enum"] == [1, 2, 3, 4, 5]
    planned = questions_schema(3)["properties"]["questions"]
    assert planned["minItems"] == 3 and [i["properties"]["focus"]["enum"] for i in planned["prefixItems"]] == [
        ["technical"], ["experience"], ["technical"]]
    assert follow_up_schema()["required"] == ["follow_up", "question"]


@pytest.mark.anyio
async def test_retries_then_succeeds_warmer_each_time() -> None:
    backend = ScriptedBackend(
        "not json", '{"follow_up": true, "question": " "}', '{"follow_up": true, "question": "Why?"}'
    )
    decision = await generate_structured(backend, MESSAGES, follow_up_schema(), FollowUpDecision, what="x",
                                         error=ProviderError, temperature=0.0, seed=5)
    assert decision.question == "Why?"
    assert [r.temperature for r in backend.requests] == [0.0, 0.3, 0.6]
    assert [r.seed for r in backend.requests] == [5, 6, 7]
    assert all(r.json_schema == follow_up_schema() for r in backend.requests)


@pytest.mark.anyio
async def test_gives_up_after_the_attempt_bound_with_the_reason() -> None:
    backend = ScriptedBackend(default="{ truncated")
    with pytest.raises(EvaluationFailed, match=r"invalid output 3 times \(last: .*JSON"):
        await generate_structured(backend, MESSAGES, follow_up_schema(), FollowUpDecision, what="x",
                                  error=EvaluationFailed)
    assert len(backend.requests) == 3


@pytest.mark.anyio
async def test_backend_errors_become_the_callers_error_type() -> None:
    class Broken(ScriptedBackend):
        async def generate(self, request):  # type: ignore[no-untyped-def]
            raise ProviderError("server down")

    with pytest.raises(EvaluationFailed, match="server down"):
        await generate_structured(Broken(), MESSAGES, follow_up_schema(), FollowUpDecision, what="x",
                                  error=EvaluationFailed)


def test_answer_fragments_are_the_quotable_phrases_of_the_answer() -> None:
    answer = 'First, I run EXPLAIN ANALYZE. Then I add an index - a "covering" one\\with C:\\path\x01 too.\n\nDone'
    fragments = answer_fragments(answer)
    assert fragments[:2] == ["I run EXPLAIN ANALYZE.", "Then I add an index"]  # "First": too short for evidence
    assert all(not set(f) & {'"', "\\", "\x01"} for f in fragments)  # never in a grammar literal
    assert "covering" not in fragments and "Done" not in fragments
    assert answer_fragments(" ".join(["word"] * 30)) == [" ".join(["word"] * 12), " ".join(["word"] * 6)]
    schema = evaluation_schema(InterviewSpec(role="x"), "um")
    assert schema["properties"]["scores"]["properties"]["role_fit"]["properties"]["evidence"]["maxItems"] == 0
