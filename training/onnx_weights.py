"""Rebuild trainable PyTorch weights from a shipped ONNX model, so training can continue from it.

The exporter folds each BatchNorm into the convolution before it (eval mode), and the torch
checkpoints live only in the git-ignored .cache/, so a fresh clone has just the ONNX files. This
puts each folded convolution back as conv + BatchNorm with the same eval-mode output: the BatchNorm
gets the channel statistics measured on a calibration batch, so that in training mode (batch
statistics) the network also starts out close to the shipped one.

Usage: python -m training.onnx_weights reader chalicelib/recognition/models/reader.onnx
       [--export OUT.onnx]   (checks the restored model against cv2.dnn; optionally re-exports it)
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from training.models import PlateDetector, PlateReader

# ONNX LSTM gates are ordered input, output, forget, cell; PyTorch's input, forget, cell, output.
_ONNX_TO_TORCH_GATES = (0, 2, 3, 1)


def load_onnx_weights(model: nn.Module, path: Path, calibration: torch.Tensor) -> None:
    """Fill `model` (a PlateReader or PlateDetector) from the ONNX file at `path`."""
    graph = onnx.load(str(path)).graph
    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    conv_nodes = [node for node in graph.node if node.op_type == "Conv"]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if len(conv_nodes) != len(convs):
        raise ValueError(f"{path}: {len(conv_nodes)} Conv nodes, model has {len(convs)}")
    batch_norm_after = _batch_norm_after(model)
    with torch.no_grad():
        for conv, node in zip(convs, conv_nodes, strict=True):
            weight = torch.from_numpy(values[node.input[1]].copy())
            if weight.shape != conv.weight.shape:
                raise ValueError(f"{path}: {node.name} {weight.shape} vs {conv.weight.shape}")
            conv.weight.copy_(weight)
            bias = torch.from_numpy(values[node.input[2]].copy()) if len(node.input) > 2 else None
            norm = batch_norm_after.get(conv)
            if norm is None:
                if conv.bias is not None and bias is not None:
                    conv.bias.copy_(bias)
                continue
            norm.weight.fill_(1.0)
            norm.bias.copy_(bias if bias is not None else torch.zeros_like(norm.bias))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
        if isinstance(model, PlateReader):
            _load_reader_tail(model, graph, values)
    _calibrate_batch_norms(model, batch_norm_after, calibration)


def _batch_norm_after(model: nn.Module) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each convolution that a BatchNorm directly follows inside an nn.Sequential."""
    pairs: dict[nn.Conv2d, nn.BatchNorm2d] = {}
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            children = list(module.children())
            for first, second in itertools.pairwise(children):
                if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                    pairs[first] = second
    return pairs


def _load_reader_tail(
    model: PlateReader, graph: onnx.GraphProto, values: dict[str, np.ndarray]
) -> None:
    lstm = next((node for node in graph.node if node.op_type == "LSTM"), None)
    if lstm is None:
        _load_unrolled_lstm(model, values)
    else:
        _load_lstm_node(model, lstm, values)
    # The classifier's weight is exported transposed, under a generated name.
    classifier = next(
        values[node.input[1]]
        for node in graph.node
        if node.op_type == "MatMul"
        and node.input[1] in values
        and values[node.input[1]].shape == tuple(model.classifier.weight.shape[::-1])
    )
    model.classifier.weight.copy_(torch.from_numpy(classifier.T.copy()))
    model.classifier.bias.copy_(torch.from_numpy(values["classifier.bias"].copy()))


def _load_unrolled_lstm(model: PlateReader, values: dict[str, np.ndarray]) -> None:
    """Weights of training.models.UnrolledBiLSTM (stored transposed, biases summed)."""
    for suffix, name in (("", "forward"), ("_reverse", "backward")):
        getattr(model.rnn, f"weight_ih_l0{suffix}").copy_(
            torch.from_numpy(values[f"rnn.input_{name}"].T.copy())
        )
        getattr(model.rnn, f"weight_hh_l0{suffix}").copy_(
            torch.from_numpy(values[f"rnn.recurrent_{name}"].T.copy())
        )
        getattr(model.rnn, f"bias_ih_l0{suffix}").copy_(
            torch.from_numpy(values[f"rnn.bias_{name}"].copy())
        )
        getattr(model.rnn, f"bias_hh_l0{suffix}").zero_()


def _load_lstm_node(
    model: PlateReader, lstm: onnx.NodeProto, values: dict[str, np.ndarray]
) -> None:
    w, r, b = (values[name] for name in lstm.input[1:4])
    hidden = model.rnn.hidden_size
    for direction, suffix in enumerate(("", "_reverse")):
        tensors = {
            "weight_ih": w[direction],
            "weight_hh": r[direction],
            "bias_ih": b[direction][: 4 * hidden],
            "bias_hh": b[direction][4 * hidden :],
        }
        for name, onnx_value in tensors.items():
            getattr(model.rnn, f"{name}_l0{suffix}").copy_(_torch_gates(onnx_value, hidden))


def _torch_gates(onnx_gates: np.ndarray, hidden: int) -> torch.Tensor:
    blocks = [onnx_gates[i * hidden : (i + 1) * hidden] for i in _ONNX_TO_TORCH_GATES]
    return torch.from_numpy(np.concatenate(blocks).copy())


def _calibrate_batch_norms(
    model: nn.Module, pairs: dict[nn.Conv2d, nn.BatchNorm2d], calibration: torch.Tensor
) -> None:
    """Re-express each BatchNorm with the calibration batch's channel statistics.

    Eval output is unchanged: conv(x)·1 + b becomes (conv(x) - m)/s·s + (m + b).
    """
    statistics: dict[nn.BatchNorm2d, tuple[torch.Tensor, torch.Tensor]] = {}

    def measure(norm: nn.BatchNorm2d):  # type: ignore[no-untyped-def]
        def hook(_module: nn.Module, _inputs: tuple[torch.Tensor, ...], x: torch.Tensor) -> None:
            statistics[norm] = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False))

        return hook

    handles = [conv.register_forward_hook(measure(norm)) for conv, norm in pairs.items()]
    model.eval()
    with torch.no_grad():
        model(calibration)
    for handle in handles:
        handle.remove()
    with torch.no_grad():
        for norm, (mean, var) in statistics.items():
            std = torch.sqrt(var + norm.eps)
            norm.bias.add_(mean)
            norm.weight.copy_(std)
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)


def restored(kind: str, path: Path, calibration: torch.Tensor) -> nn.Module:
    model: nn.Module = PlateReader() if kind == "reader" else PlateDetector()
    load_onnx_weights(model, path, calibration)
    return model


def main() -> None:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("reader", "detector"))
    parser.add_argument("onnx", type=Path)
    parser.add_argument("--export", type=Path, help="write the restored model here (reader only)")
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)
    if args.kind == "reader":
        calibration = torch.randn(16, 1, 32, 128, generator=generator)
    else:
        calibration = torch.rand(2, 3, 192, 256, generator=generator)
    model = restored(args.kind, args.onnx, calibration)
    net = cv2.dnn.readNetFromONNX(str(args.onnx))
    sample = calibration[:4]
    net.setInput(sample.numpy())
    theirs = np.asarray(net.forward())
    model.eval()
    with torch.no_grad():
        ours = model(sample).numpy()
    difference = np.abs(ours - theirs.reshape(ours.shape)).max()
    print(f"{args.kind}: max abs difference from {args.onnx}: {difference:.2e}")
    if args.export and isinstance(model, PlateReader):
        from training.train_reader import export_onnx

        export_onnx(model, args.export)


if __name__ == "__main__":
    main()
