"""ONNX export of a risk network: dynamic batch, one file, SpotVortex metadata inside the verified bytes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn

from spotvortex.contracts.risk_window import N_WINDOW_FEATURES, STEPS
from spotvortex.inference.session import METADATA_KEY

INPUT = "window"
OUTPUTS = ["capacity_score", "runtime_score", "feature_weights"]
OPSET = 17


def export_onnx(model: nn.Module, path: Path, metadata: dict[str, Any]) -> bytes:
    """Write ``path`` and return its bytes. The producer fields are fixed so the bytes depend on the weights only."""
    model.eval()
    example = torch.zeros(2, STEPS, N_WINDOW_FEATURES)
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        (example,),
        buffer,
        input_names=[INPUT],
        output_names=OUTPUTS,
        dynamic_axes={INPUT: {0: "batch"}, **{name: {0: "batch"} for name in OUTPUTS}},
        opset_version=OPSET,
        dynamo=False,
    )
    graph = onnx.load_from_string(buffer.getvalue())
    shapes = {"capacity_score": 1, "runtime_score": 1, "feature_weights": N_WINDOW_FEATURES}
    for output in graph.graph.output:  # declare what the exporter could not infer through slicing
        dims = output.type.tensor_type.shape.dim
        dims[0].dim_param = "batch"
        dims[1].ClearField("dim_param")
        dims[1].dim_value = shapes[output.name]
    graph.producer_name = "spotvortex-training"
    graph.producer_version = "1"
    del graph.metadata_props[:]
    entry = graph.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(metadata, sort_keys=True)
    onnx.checker.check_model(graph, full_check=True)
    data = graph.SerializeToString(deterministic=True)
    path.write_bytes(data)
    return data
