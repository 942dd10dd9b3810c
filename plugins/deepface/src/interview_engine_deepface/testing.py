"""Test support: DeepFace's emotion model with random weights, so tests and benchmarks run the real
code path offline. Needs the ``onnx`` package (the plugin's ``test`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .worker import WEIGHTS_FILE, weights_dir


def emotion_graph(seed: int = 0) -> bytes:
    """DeepFace's emotion network (deepface/models/demography/tf/Emotion.py: 48x48x1 grey in, channels
    last, seven softmax scores out) as an ONNX graph with random He-initialised weights."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Transpose", ["input"], ["x0"], perm=[0, 3, 1, 2])]
    weights = []

    def layer(op: str, x: str, shape: tuple[int, ...], fan_in: int, relu: bool = True, **attrs: Any) -> str:
        name = f"layer{len(nodes)}"
        for part, part_shape in (("w", shape), ("b", (shape[0] if op == "Conv" else shape[1],))):
            scale = np.sqrt(2 / fan_in)
            weights.append(numpy_helper.from_array(
                (rng.standard_normal(part_shape) * scale).astype(np.float32), f"{name}.{part}"))
        nodes.append(helper.make_node(op, [x, f"{name}.w", f"{name}.b"], [name], **attrs))
        if relu:
            nodes.append(helper.make_node("Relu", [name], [f"{name}.relu"]))
            return f"{name}.relu"
        return name

    def conv(x: str, c_in: int, c_out: int, k: int) -> str:
        return layer("Conv", x, (c_out, c_in, k, k), c_in * k * k)

    def pool(x: str, op: str, k: int) -> str:
        nodes.append(helper.make_node(op, [x], [f"pool{len(nodes)}"], kernel_shape=[k, k], strides=[2, 2]))
        return f"pool{len(nodes) - 1}"

    x = pool(conv("x0", 1, 64, 5), "MaxPool", 5)
    x = pool(conv(conv(x, 64, 64, 3), 64, 64, 3), "AveragePool", 3)
    x = pool(conv(conv(x, 64, 128, 3), 128, 128, 3), "AveragePool", 3)
    nodes.append(helper.make_node("Flatten", [x], ["flat"], axis=1))
    x = layer("Gemm", layer("Gemm", "flat", (128, 1024), 128), (1024, 1024), 1024)
    x = layer("Gemm", x, (1024, 7), 1024, relu=False)
    nodes.append(helper.make_node("Softmax", [x], ["output"], axis=1))
    graph = helper.make_graph(
        nodes, "deepface_emotion",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 48, 48, 1])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["n", 7])],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(model)
    serialized: bytes = model.SerializeToString()
    return serialized


def install_random_emotion_model(home: str | Path, seed: int = 0) -> Path:
    """Write the random emotion graph where DeepFace looks for its weights under ``home``."""
    target = weights_dir(home) / WEIGHTS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(emotion_graph(seed))
    return target
