"""Who is calling: API keys (HR back ends), recruiter sessions (people, with roles) and candidate tokens
(one interview each), and what each route lets them do."""
