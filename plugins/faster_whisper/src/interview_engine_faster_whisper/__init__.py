"""Offline speech-to-text for interview-engine on faster-whisper (provider ``faster_whisper``).

Nothing is imported here, so discovering the plugin stays cheap; import from the submodules.
"""
