"""Export a trained network to ONNX the way cv2.dnn runs it, and prove the two agree."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

MAX_DIFFERENCE = 1e-3


def export_checked(model: nn.Module, path: Path, example: torch.Tensor,
                   probes: list[torch.Tensor], input_names: list[str], output_names: list[str],
                   dynamic_axes: dict[str, dict[int, str]]) -> None:
    """Legacy exporter (opset 17; the dynamo one needs onnxscript), then cv2.dnn's output on each
    probe compared with torch's; exits when they differ by more than MAX_DIFFERENCE."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=17,
                      input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes)
    net = cv2.dnn.readNetFromONNX(str(path))
    for probe in probes:
        net.setInput(probe.numpy())
        ours = np.asarray(net.forward())
        with torch.no_grad():
            reference = model(probe).numpy()
        diff = float(np.abs(ours.reshape(reference.shape) - reference).max())
        print(f"exported {path} ({path.stat().st_size / 1e6:.2f} MB); cv2.dnn vs torch "
              f"{tuple(probe.shape)} max diff {diff:.2e}")
        if diff > MAX_DIFFERENCE:
            raise SystemExit("cv2.dnn output does not match torch")
