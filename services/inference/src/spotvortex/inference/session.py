"""onnxruntime sessions built from verified bytes, with the settings measured on these machines.

One thread per session and sequential execution: the models are tiny (microseconds per batch), the service runs
several replicas, and thread pools would only add contention. External data is handed over from memory
under the name the model refers to, so nothing is read from disk after verification.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import onnxruntime as ort

from spotvortex.inference.manifest import ManifestError, VerifiedModel

METADATA_KEY = "spotvortex"


def open_session(model: VerifiedModel) -> tuple[ort.InferenceSession, list[Any]]:
    """The session and the buffers it was given (kept alive as long as the session is)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    buffers: list[Any] = []
    if model.external:
        names = list(model.external)
        buffers = [np.frombuffer(model.external[n], dtype=np.uint8) for n in names]
        options.add_external_initializers_from_files_in_memory(names, buffers, [len(b) for b in buffers])
    try:
        session = ort.InferenceSession(model.data, options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        hint = (
            " (does it refer to an external-data file its manifest entry does not list?)"
            if "external" in str(err).lower() or "model_path" in str(err)
            else ""
        )
        raise ManifestError(f"models: {model.name} cannot be loaded by onnxruntime{hint}: {err}") from None
    return session, buffers


def metadata(session: ort.InferenceSession, name: str) -> dict[str, Any]:
    """The model's ``spotvortex`` metadata (JSON), which travels inside the verified file."""
    raw = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    if raw is None:
        raise ManifestError(f"models: {name} carries no '{METADATA_KEY}' metadata (not built for SpotVortex)")
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ManifestError(f"models: {name} has unreadable '{METADATA_KEY}' metadata: {err}") from None
    if not isinstance(document, dict):
        raise ManifestError(f"models: {name}: '{METADATA_KEY}' metadata must be a JSON object")
    return document


def check_io(
    session: ort.InferenceSession,
    name: str,
    inputs: dict[str, int | tuple[int, ...]],
    outputs: dict[str, int | tuple[int, ...]],
) -> None:
    """Each named input/output exists with a dynamic batch dimension and the given trailing shape."""
    for kind, declared, expected in (
        ("input", session.get_inputs(), inputs),
        ("output", session.get_outputs(), outputs),
    ):
        shapes = {arg.name: arg.shape for arg in declared}
        for tensor, trailing in expected.items():
            dims = (trailing,) if isinstance(trailing, int) else trailing
            shape = shapes.get(tensor)
            if shape is None:
                raise ManifestError(f"models: {name} has no {kind} {tensor!r} (has {sorted(shapes)})")
            if len(shape) != 1 + len(dims) or isinstance(shape[0], int) or tuple(shape[1:]) != dims:
                wanted = ", ".join(["batch", *(str(d) for d in dims)])
                raise ManifestError(
                    f"models: {name} {kind} {tensor!r} has shape {shape}; expected [{wanted}] "
                    "with a dynamic batch dimension"
                )
