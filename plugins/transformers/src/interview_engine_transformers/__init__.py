"""interview-engine on Hugging Face transformers + torch: a ChatBackend
(:class:`interview_engine_transformers.backend.TransformersBackend`) with JSON-schema-constrained
decoding, registered as question source and evaluator ``transformers``.

Nothing heavy is imported here: the plugin is discovered without loading torch.
"""
