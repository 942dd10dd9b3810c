"""interview-engine-server: the reference host of the interview-engine SDK.

A Starlette application that an HR platform runs: tenants and API keys for its back end, candidate
tokens for the browser widget, recruiter accounts, an event stream per interview and signed webhooks.
It uses only the SDK's public API.
"""
