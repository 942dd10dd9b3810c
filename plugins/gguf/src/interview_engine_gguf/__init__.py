"""interview-engine-gguf: question source and evaluator on llama.cpp (llama-cpp-python), GGUF models."""

from .backend import GGUFBackend
from .locate import MODEL_ENV, ModelChoice, find_model, models_dir
from .packages import PACKAGES, ModelPackage

__all__ = ["MODEL_ENV", "PACKAGES", "GGUFBackend", "ModelChoice", "ModelPackage", "find_model", "models_dir"]
