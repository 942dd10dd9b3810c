"""interview-engine-fer-lite: offline facial expression analysis on fer's quantized TFLite model.

Registers the ``fer_lite`` emotion analyzer; see ``FerLiteAnalyzer`` for its options.
"""
