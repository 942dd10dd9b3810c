"""Content rules for the built-in question bank data file (standard library + pytest only).

The bank is product content that recruiters see, so its shape and coverage are checked here: every role
has enough questions at every level, with a mix of technical and experience/behavioural questions over
several competencies, in both English and Korean.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

BANK_PATH = Path(__file__).parents[2] / "src/interview_engine/builtin/data/question_bank.json"

ROLES = ("backend", "frontend", "data", "ml", "devops", "mobile", "product_manager", "sales")
LEVELS = ("junior", "mid", "senior")
FOCI = {"technical", "experience", "behavioral"}
FOLLOW_UP_KEYS = {"ask_example", "ask_depth", "ask_result", "ask_tradeoff"}
QUESTION_KEYS = {"id", "level", "competency", "focus", "en", "ko"}

MIN_PER_LEVEL = 10
MIN_TECHNICAL = 6
MIN_STORIES = 3  # experience or behavioral
MIN_COMPETENCIES = 4
MIN_GENERAL = 12

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
VERSION = re.compile(r"^\d{4}\.\d+\.\d+$")
# Korean questions end with a question mark or a polite request ("…설명해 주세요.").
KO_ENDING = re.compile(r"(\?|주세요\.|주십시오\.)$")


@cache
def load_bank() -> dict[str, Any]:
    with BANK_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture(scope="module")
def bank() -> dict[str, Any]:
    return load_bank()


def all_questions(bank: dict[str, Any]) -> list[dict[str, Any]]:
    questions = [q for role in bank["roles"].values() for q in role["questions"]]
    return questions + list(bank["general"])


def level_questions(bank: dict[str, Any], role: str, level: str) -> list[dict[str, Any]]:
    return [q for q in bank["roles"][role]["questions"] if q["level"] == level]


def bilingual_texts(bank: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every {en, ko} pair in the file, with a label for failure messages."""
    pairs: list[tuple[str, dict[str, str]]] = []
    pairs += [(f"competency {key}", label) for key, label in bank["competencies"].items()]
    pairs += [(f"role name {key}", role["name"]) for key, role in bank["roles"].items()]
    pairs += [(f"question {q['id']}", q) for q in all_questions(bank)]
    pairs += [(f"follow-up {key}", text) for key, text in bank["follow_ups"].items()]
    return pairs


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def normalise_alias(alias: str) -> str:
    """The same normalisation the role resolver applies to what a recruiter types."""
    return " ".join(alias.lower().replace("-", " ").replace("_", " ").split())


# --- file and top-level shape ---------------------------------------------------------------------------


def test_file_is_utf8_json_with_real_korean_characters() -> None:
    raw = BANK_PATH.read_bytes()
    text = raw.decode("utf-8")
    json.loads(text)
    assert "\\u" not in text, "write Korean as real characters (ensure_ascii=False), not \\u escapes"
    assert HANGUL.search(text)


def test_top_level_shape(bank: dict[str, Any]) -> None:
    assert set(bank) == {"version", "levels", "competencies", "roles", "general", "follow_ups"}
    assert isinstance(bank["version"], str) and VERSION.match(bank["version"])
    assert bank["levels"] == list(LEVELS)


def test_all_roles_present(bank: dict[str, Any]) -> None:
    missing = set(ROLES) - set(bank["roles"])
    assert not missing, f"missing roles: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
def test_role_shape(bank: dict[str, Any], role: str) -> None:
    entry = bank["roles"][role]
    assert set(entry) == {"name", "aliases", "questions"}
    assert set(entry["name"]) == {"en", "ko"}
    assert entry["aliases"], f"{role} has no aliases"
    assert all(isinstance(alias, str) and alias.strip() == alias and alias for alias in entry["aliases"])


# --- per role x level coverage --------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("role", ROLES)
def test_level_count(bank: dict[str, Any], role: str, level: str) -> None:
    questions = level_questions(bank, role, level)
    assert len(questions) >= MIN_PER_LEVEL, f"{role}/{level}: {len(questions)} questions"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("role", ROLES)
def test_level_focus_mix(bank: dict[str, Any], role: str, level: str) -> None:
    foci = Counter(q["focus"] for q in level_questions(bank, role, level))
    assert foci["technical"] >= MIN_TECHNICAL, f"{role}/{level}: {dict(foci)}"
    stories = foci["experience"] + foci["behavioral"]
    assert stories >= MIN_STORIES, f"{role}/{level}: {dict(foci)}"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("role", ROLES)
def test_level_spans_competencies(bank: dict[str, Any], role: str, level: str) -> None:
    competencies = {q["competency"] for q in level_questions(bank, role, level)}
    assert len(competencies) >= MIN_COMPETENCIES, f"{role}/{level}: {sorted(competencies)}"


@pytest.mark.parametrize("role", ROLES)
def test_role_questions_have_known_levels(bank: dict[str, Any], role: str) -> None:
    levels = {q["level"] for q in bank["roles"][role]["questions"]}
    assert levels <= set(LEVELS), f"{role}: unexpected levels {sorted(levels - set(LEVELS))}"


# --- questions ------------------------------------------------------------------------------------------


def test_question_fields_and_foci(bank: dict[str, Any]) -> None:
    for q in all_questions(bank):
        assert set(q) == QUESTION_KEYS, f"{q.get('id')}: keys {sorted(q)}"
        assert q["focus"] in FOCI, f"{q['id']}: focus {q['focus']!r}"
        assert all(isinstance(q[key], str) and q[key].strip() == q[key] and q[key] for key in QUESTION_KEYS)


def test_ids_unique(bank: dict[str, Any]) -> None:
    ids = Counter(q["id"] for q in all_questions(bank))
    duplicates = [qid for qid, n in ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


@pytest.mark.parametrize("role", ROLES)
def test_role_id_pattern(bank: dict[str, Any], role: str) -> None:
    for q in bank["roles"][role]["questions"]:
        pattern = rf"^{re.escape(role)}-{re.escape(q['level'])}-\d{{2}}$"
        assert re.match(pattern, q["id"]), f"{q['id']} does not match {role}-{q['level']}-NN"


def test_general_questions(bank: dict[str, Any]) -> None:
    general = bank["general"]
    assert len(general) >= MIN_GENERAL, f"only {len(general)} general questions"
    for q in general:
        assert re.match(r"^general-\d{2}$", q["id"]), q["id"]
        assert q["level"] == "any", f"{q['id']}: level {q['level']!r}"
        assert q["focus"] in {"experience", "behavioral"}, f"{q['id']}: focus {q['focus']!r}"


def test_every_competency_used_is_defined(bank: dict[str, Any]) -> None:
    used = {q["competency"] for q in all_questions(bank)}
    undefined = used - set(bank["competencies"])
    assert not undefined, f"competencies used but not defined: {sorted(undefined)}"


def test_competency_definitions(bank: dict[str, Any]) -> None:
    for key, label in bank["competencies"].items():
        assert SNAKE_CASE.match(key), f"competency key {key!r} is not snake_case"
        assert set(label) == {"en", "ko"}, f"{key}: {sorted(label)}"
        assert label["en"].strip() and label["ko"].strip(), key


def test_every_defined_competency_is_used(bank: dict[str, Any]) -> None:
    used = {q["competency"] for q in all_questions(bank)}
    unused = set(bank["competencies"]) - used
    assert not unused, f"competencies defined but never used: {sorted(unused)}"


def test_korean_texts_contain_hangul_and_english_texts_do_not(bank: dict[str, Any]) -> None:
    for where, text in bilingual_texts(bank):
        assert HANGUL.search(text["ko"]), f"{where}: ko text has no Hangul: {text['ko']!r}"
        assert not HANGUL.search(text["en"]), f"{where}: en text contains Hangul: {text['en']!r}"


def test_questions_are_phrased_as_questions(bank: dict[str, Any]) -> None:
    for q in all_questions(bank):
        assert q["en"].endswith("?"), f"{q['id']}: en does not end with '?': {q['en']!r}"
        assert q["en"].count("?") == 1, f"{q['id']}: en asks more than one question: {q['en']!r}"
        assert KO_ENDING.search(q["ko"]), f"{q['id']}: ko is neither a question nor a polite request"


def test_no_duplicate_question_texts(bank: dict[str, Any]) -> None:
    for lang in ("en", "ko"):
        texts = Counter(normalise(q[lang]) for q in all_questions(bank))
        duplicates = [text for text, n in texts.items() if n > 1]
        assert not duplicates, f"duplicate {lang} questions: {duplicates}"


# --- aliases --------------------------------------------------------------------------------------------


def test_aliases_lowercase(bank: dict[str, Any]) -> None:
    for role, entry in bank["roles"].items():
        for alias in entry["aliases"]:
            assert alias == alias.lower(), f"{role}: alias {alias!r} is not lowercase"


def test_aliases_unique_across_roles(bank: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    for role, entry in bank["roles"].items():
        for alias in entry["aliases"]:
            key = normalise_alias(alias)
            assert owner.get(key, role) == role, f"alias {alias!r} is in both {owner[key]} and {role}"
            assert key not in set(ROLES) - {role}, f"alias {alias!r} of {role} is another role's key"
            owner[key] = role


# --- follow-ups -----------------------------------------------------------------------------------------


def test_follow_ups(bank: dict[str, Any]) -> None:
    follow_ups = bank["follow_ups"]
    assert set(follow_ups) == FOLLOW_UP_KEYS
    for key, text in follow_ups.items():
        assert set(text) == {"en", "ko"}, key
        assert text["en"].endswith("?"), f"{key}: {text['en']!r}"
        assert KO_ENDING.search(text["ko"]), f"{key}: {text['ko']!r}"
