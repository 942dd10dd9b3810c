"""Worked example plugin for interview-engine (see docs/plugins.md)."""
