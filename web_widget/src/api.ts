/** The candidate API of the reference server, called with the current candidate token. */

export interface QuestionClock {
  limit_s: number | null;
  elapsed_s: number;
  remaining_s: number | null;
  paused: boolean;
}

export interface CandidateQuestion {
  id: string;
  text: string;
  kind: "question" | "follow_up";
  number: number;
  clock: QuestionClock;
}

export interface CandidateState {
  interview_id: string;
  state: "awaiting_consent" | "in_progress" | "paused" | "finished";
  language: string;
  consent_notice: { text: string; sha256: string; emotion_analysis_offered: boolean };
  consent: { recording: boolean; transcription: boolean; emotion_analysis: boolean } | null;
  current_question: CandidateQuestion | null;
  answered_count: number;
  question_count: number;
  draft: { question_id: string; text: string } | null;
  summary_available: boolean;
  token_expires_at: string;
  ice_servers?: RTCIceServer[];
}

export interface CandidateAccess { token: string; expires_at: string }
export interface AnswerAccepted { answer_id: string; next_question: CandidateQuestion | null; answered_count: number }
export interface FinishResult { state: "finished"; summary: CandidateAccess | null }
export interface CandidateSummary { feedback: { question: string; feedback: string }[] }

/** The server answered with an error (its `code` and `message` from the JSON error body). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The request never reached the server or its answer never arrived. */
export class NetworkError extends Error {}

const TIMEOUT_MS = 15_000;

export class Api {
  constructor(readonly server: string, readonly interviewId: string, public token: string) {}

  get base(): string {
    return `${this.server}/v1/interviews/${encodeURIComponent(this.interviewId)}`;
  }

  async call<T>(method: string, path: string, body?: unknown, token = this.token): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit", cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new NetworkError(String(error));
    }
    if (response.status === 204) return undefined as T;
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      if (response.ok) throw new NetworkError("the answer was cut off");
      payload = null;
    }
    if (!response.ok) {
      const info = (payload as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, info?.code ?? `http_${response.status}`,
                         info?.message ?? `the server answered ${response.status}`);
    }
    return payload as T;
  }

  state(): Promise<CandidateState> { return this.call("GET", "/candidate"); }
  question(): Promise<CandidateQuestion> { return this.call("GET", "/candidate/question"); }
  consent(body: object): Promise<CandidateState> { return this.call("POST", "/candidate/consent", body); }
  saveDraft(questionId: string, text: string): Promise<unknown> {
    return this.call("PUT", "/candidate/draft", { question_id: questionId, text });
  }
  answer(questionId: string, text: string): Promise<AnswerAccepted> {
    return this.call("POST", "/candidate/answers", { question_id: questionId, text });
  }
  doneSpeaking(): Promise<AnswerAccepted> { return this.call("POST", "/candidate/answers/done"); }
  finish(): Promise<FinishResult> { return this.call("POST", "/candidate/finish"); }
  summary(token: string): Promise<CandidateSummary> { return this.call("GET", "/candidate/summary", undefined, token); }
  refresh(): Promise<CandidateAccess> { return this.call("POST", "/candidate/token"); }
}
