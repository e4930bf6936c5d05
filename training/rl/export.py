"""The q-network as the ONNX file ``spotvortex.inference.rl.QModel`` loads.

Input ``state`` float32 [batch, 13] (rl state spec 1), output ``q_values`` float32 [batch, 6] in ``Action`` order,
dynamic batch, opset 17, one file (no external data), with the ``spotvortex`` metadata QModel checks
(``rl_state_version``, ``state_names``) plus what the model is and how it was trained. The legacy TorchScript
exporter (``dynamo=False``) gives a small, plain graph (Gemm/Relu); the bytes are serialised deterministically.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import onnx
import torch
from onnx import helper
from torch import nn

from spotvortex.contracts.enums import Action
from spotvortex.inference.rl import INPUT, N_STATE, OUTPUT, RL_STATE_NAMES, RL_STATE_VERSION
from spotvortex.inference.session import METADATA_KEY

OPSET = 17
KIND = "fitted-q-mlp"


def metadata(training: dict[str, Any], network: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": KIND,
        "rl_state_version": RL_STATE_VERSION,
        "state_names": list(RL_STATE_NAMES),
        "actions": [a.value for a in Action],
        "q_units": "USD: expected discounted reward of the pool (minus compute, outage penalty and disruption: "
        "evicted pods and outage events)",
        "network": network,
        "training": training,
    }


def onnx_bytes(net: nn.Sequential, meta: dict[str, Any]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        path = Path(tmp) / "q.onnx"
        warnings.simplefilter("ignore")  # the legacy exporter announces its deprecation
        torch.onnx.export(
            net.eval(),
            (torch.zeros(1, N_STATE),),
            path,
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            do_constant_folding=True,
        )
        model = onnx.load_from_string(path.read_bytes())
    model.producer_name = "spotvortex-training"
    model.producer_version = "1"
    model.doc_string = (
        "SpotVortex rl policy: a q-network fitted by fitted-Q iteration on simulator transitions"
    )
    helper.set_model_props(model, {METADATA_KEY: json.dumps(meta, sort_keys=True, separators=(",", ":"))})
    onnx.checker.check_model(model, full_check=True)
    return bytes(model.SerializeToString(deterministic=True))
