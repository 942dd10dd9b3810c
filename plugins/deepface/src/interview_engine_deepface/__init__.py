"""interview-engine-deepface: facial expression analysis on DeepFace, run on onnxruntime in worker
processes. Registers the ``deepface`` emotion analyzer; see ``DeepFaceAnalyzer`` for its options."""
