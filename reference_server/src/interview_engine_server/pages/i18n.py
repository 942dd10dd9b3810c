"""The pages' user-interface strings in English and Korean, and the choice of language per request:
``?lang=`` (remembered in a cookie), else the cookie, else the browser's Accept-Language."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

UiLanguage = Literal["en", "ko"]
LANGUAGES: tuple[UiLanguage, ...] = ("en", "ko")
LANGUAGE_COOKIE = "ie_lang"

STRINGS: dict[str, tuple[str, str]] = {
    # key: (English, Korean)
    "app.title": ("Interview dashboard", "면접 대시보드"),
    "nav.interviews": ("Interviews", "면접 목록"),
    "nav.audit": ("Audit log", "감사 로그"),
    "nav.sign_out": ("Sign out", "로그아웃"),
    "nav.language": ("Language", "언어"),
    "nav.skip": ("Skip to content", "본문으로 건너뛰기"),
    "login.title": ("Sign in", "로그인"),
    "login.tenant": ("Organisation", "조직"),
    "login.email": ("E-mail", "이메일"),
    "login.password": ("Password", "비밀번호"),
    "login.submit": ("Sign in", "로그인"),
    "login.failed": ("Sign-in failed: check the organisation, e-mail and password.",
                     "로그인에 실패했습니다. 조직, 이메일, 비밀번호를 확인하세요."),
    "list.title": ("Interviews", "면접 목록"),
    "list.filters": ("Filters", "필터"),
    "list.role": ("Role", "직무"),
    "list.state": ("State", "상태"),
    "list.any": ("Any", "전체"),
    "list.from": ("Created from", "생성일 (부터)"),
    "list.to": ("Created to", "생성일 (까지)"),
    "list.min_score": ("Minimum score", "최저 점수"),
    "list.max_score": ("Maximum score", "최고 점수"),
    "list.apply": ("Apply filters", "필터 적용"),
    "list.reset": ("Clear", "초기화"),
    "list.empty": ("No interviews match.", "조건에 맞는 면접이 없습니다."),
    "list.created": ("Created", "생성일"),
    "list.score": ("Score", "점수"),
    "list.answered": ("Answered", "답변"),
    "list.next": ("Next page", "다음 페이지"),
    "state.in_progress": ("In progress", "진행 중"),
    "state.paused": ("Paused", "일시 중지"),
    "state.finished": ("Finished", "완료"),
    "report.title": ("Interview report", "면접 보고서"),
    "report.print": ("Print or save as PDF", "인쇄 또는 PDF 저장"),
    "report.level": ("Level", "수준"),
    "report.language": ("Interview language", "면접 언어"),
    "report.finished": ("Finished", "완료 시각"),
    "report.reference": ("Your reference", "참조 번호"),
    "report.consent": ("Consent", "동의"),
    "report.consent_given": ("Given", "동의함"),
    "report.consent_missing": ("Not recorded", "기록 없음"),
    "report.emotion_consent": ("Emotion analysis", "감정 분석"),
    "report.on": ("on", "사용"),
    "report.off": ("off", "사용 안 함"),
    "report.scores": ("Scores", "점수"),
    "report.overall": ("Overall", "종합"),
    "report.model_score": ("Model score", "모델 점수"),
    "report.human_score": ("Human score", "검토자 점수"),
    "report.no_score": ("not scored", "채점 안 됨"),
    "report.chart_label": ("Score per rubric dimension, 0 to 100", "평가 항목별 점수 (0–100)"),
    "report.weight": ("weight", "가중치"),
    "report.coverage": ("Coverage", "평가 범위"),
    "report.planned": ("Planned questions", "계획된 질문"),
    "report.follow_ups": ("Follow-up questions", "후속 질문"),
    "report.answered": ("Answered", "답변함"),
    "report.scored": ("Scored", "채점됨"),
    "report.failed": ("Scoring failed", "채점 실패"),
    "report.questions": ("Questions and answers", "질문과 답변"),
    "report.question": ("Question", "질문"),
    "report.follow_up": ("Follow-up", "후속 질문"),
    "report.answer": ("Answer", "답변"),
    "report.spoken": ("spoken", "음성"),
    "report.typed": ("typed", "입력"),
    "report.no_answer": ("Not answered.", "답변하지 않았습니다."),
    "report.evidence": ("Evidence", "근거"),
    "report.evidence_hint": ("Highlighted: the quotes the scores rest on.",
                             "강조 표시: 점수의 근거가 된 인용문입니다."),
    "report.rationale": ("Rationale", "근거 설명"),
    "report.feedback": ("Feedback", "피드백"),
    "report.pending": ("Scoring in progress.", "채점 중입니다."),
    "report.failed_reason": ("Scoring failed:", "채점 실패:"),
    "report.strengths": ("Strengths", "강점"),
    "report.improvements": ("To improve", "개선할 점"),
    "report.notes": ("Notes", "참고"),
    "report.overrides": ("Human overrides", "검토자 점수 조정"),
    "report.no_overrides": ("No score has been overridden.", "조정된 점수가 없습니다."),
    "report.dimension": ("Dimension", "평가 항목"),
    "report.reason": ("Reason", "사유"),
    "report.when": ("When", "시각"),
    "report.override_form": ("Override a score", "점수 조정"),
    "report.override_hint": ("The model's score stays beside yours. A reason is required.",
                             "모델 점수는 그대로 함께 표시됩니다. 사유는 필수입니다."),
    "report.new_score": ("Your score (0–100)", "조정 점수 (0–100)"),
    "report.save_override": ("Save override", "조정 저장"),
    "report.proctoring": ("Proctoring signals for human review", "사람이 검토할 감독 신호"),
    "report.proctoring_hint": ("Moments to look at, never a verdict: they do not change any score.",
                               "판정이 아니라 살펴볼 시점입니다. 어떤 점수에도 반영되지 않습니다."),
    "report.no_signals": ("No signals.", "신호가 없습니다."),
    "report.no_face": ("No face visible", "얼굴이 보이지 않음"),
    "report.multiple_faces": ("Several faces visible", "여러 얼굴이 보임"),
    "report.emotions": ("Emotion timeline", "감정 타임라인"),
    "report.emotions_apart": ("The emotion timeline is not part of any score. It is shown apart, for context "
                              "only; expression analysis is unreliable.",
                              "감정 타임라인은 어떤 점수에도 포함되지 않습니다. 참고용으로만 따로 표시하며, "
                              "표정 분석은 신뢰할 수 없습니다."),
    "report.no_emotions": ("No emotion analysis for this interview.", "이 면접에는 감정 분석이 없습니다."),
    "report.samples": ("Samples", "표본 수"),
    "report.timeline_label": ("Dominant expression over time, in seconds", "시간(초)에 따른 주된 표정"),
    "report.signals_label": ("Proctoring signals over time, in seconds", "시간(초)에 따른 감독 신호"),
    "report.seconds": ("s", "초"),
    "report.delete": ("Delete this interview", "이 면접 삭제"),
    "report.delete_confirm": ("Delete this interview and everything that belongs to it? This cannot be undone.",
                              "이 면접과 관련된 모든 데이터를 삭제할까요? 되돌릴 수 없습니다."),
    "report.not_ready": ("The report is not ready yet.", "보고서가 아직 준비되지 않았습니다."),
    "report.back": ("Back to the list", "목록으로"),
    "emotion.angry": ("angry", "화남"),
    "emotion.disgust": ("disgust", "혐오"),
    "emotion.fear": ("fear", "두려움"),
    "emotion.happy": ("happy", "기쁨"),
    "emotion.sad": ("sad", "슬픔"),
    "emotion.surprise": ("surprise", "놀람"),
    "emotion.neutral": ("neutral", "무표정"),
    "audit.title": ("Audit log", "감사 로그"),
    "audit.action": ("Action", "작업"),
    "audit.actor": ("Who", "수행자"),
    "audit.target": ("Target", "대상"),
    "audit.address": ("From", "접속 위치"),
    "audit.at": ("When", "시각"),
    "audit.filter": ("Filter", "필터"),
    "error.title": ("Something went wrong", "문제가 발생했습니다"),
    "error.403": ("Your role may not do this.", "이 작업을 할 권한이 없습니다."),
    "error.404": ("Not found.", "찾을 수 없습니다."),
    "error.409": ("This cannot be done in the interview's current state.", "현재 면접 상태에서는 할 수 없습니다."),
    "error.422": ("Some input is invalid:", "입력이 올바르지 않습니다:"),
    "error.429": ("Too many requests; wait a moment and try again.", "요청이 너무 많습니다. 잠시 후 다시 시도하세요."),
    "error.csrf": ("The form expired or did not come from this site. Reload the page and try again.",
                   "양식이 만료되었거나 이 사이트에서 보낸 것이 아닙니다. 새로고침 후 다시 시도하세요."),
    "error.other": ("The request could not be completed.", "요청을 완료할 수 없습니다."),
    "demo.title": ("Demo: an interview embedded in a host page", "데모: 호스트 페이지에 삽입된 면접"),
    "demo.intro": ("This page is what an HR platform's page looks like with the interview widget in it. The "
                   "server created a fresh interview for the demo organisation when the page loaded.",
                   "HR 플랫폼 페이지에 면접 위젯을 넣은 모습입니다. 페이지를 열 때 서버가 데모 조직의 새 면접을 "
                   "만들었습니다."),
    "demo.dashboard": ("Recruiters see the report in the dashboard.", "채용 담당자는 대시보드에서 보고서를 봅니다."),
}


def translator(language: UiLanguage) -> dict[str, str]:
    """Every UI string in ``language``."""
    index = LANGUAGES.index(language)
    return {key: texts[index] for key, texts in STRINGS.items()}


def choose_language(request: Request) -> UiLanguage:
    """The language for this request's page."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "en"
