"""Offline English speech-to-text for interview-engine on CMU PocketSphinx (provider ``pocketsphinx``).

Nothing is imported here, so discovering the plugin stays cheap; import from the submodules.
"""
