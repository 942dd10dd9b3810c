"""interview-engine on any OpenAI-compatible server (vLLM, TGI, llama.cpp's server): a ChatBackend
(:class:`interview_engine_openai_compat.backend.OpenAICompatBackend`) registered as question source and
evaluator ``openai_compat``."""
