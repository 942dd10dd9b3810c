"""Deepgram speech-to-text for interview-engine (provider ``deepgram``); a fake server in ``.testing``.

Nothing is imported here, so discovering the plugin stays cheap; import from the submodules.
"""
