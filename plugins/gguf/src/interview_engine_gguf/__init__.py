"""interview-engine-gguf: question source and evaluator on llama.cpp (llama-cpp-python), GGUF models.

Nothing is imported here, so discovering the plugin stays cheap; import from the submodules.
"""
