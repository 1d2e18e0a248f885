"""PyTorch definitions of the two networks that ship as ONNX in chalicelib/recognition/models/."""

from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 37  # blank (index 0) + 0-9 + A-Z


def _conv_bn(
    cin: int,
    cout: int,
    kernel: int | tuple[int, int] = 3,
    stride: int = 1,
    padding: int | tuple[int, int] = 1,
    groups: int = 1,
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PlateReader(nn.Module):
    """CRNN: 6 conv layers -> BiLSTM(96) -> per-column class scores, CTC-trained.

    Input N x 1 x 32 x 128 (standardized grayscale); output T(=32) x N x 37 probabilities.
    (Smaller than the 48x160 feasibility model: training time on the shared CPU was the limit.)
    """

    def __init__(self, hidden: int = 96) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn(1, 16),
            nn.MaxPool2d(2, 2),  # 16 x 64
            _conv_bn(16, 32),
            nn.MaxPool2d(2, 2),  # 8 x 32
            _conv_bn(32, 64),
            _conv_bn(64, 64),
            nn.MaxPool2d((2, 1), (2, 1)),  # 4 x 32
            _conv_bn(64, 96),
            nn.MaxPool2d((2, 1), (2, 1)),  # 2 x 32
            _conv_bn(96, 128, kernel=(2, 1), padding=0),  # 1 x 32
        )
        self.dropout = nn.Dropout(0.15)
        self.rnn = nn.LSTM(128, hidden, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, NUM_CLASSES)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        features = self.features(x).squeeze(2)  # N x C x T
        sequence = features.permute(2, 0, 1)  # T x N x C
        recurrent, _ = self.rnn(self.dropout(sequence))
        return self.classifier(recurrent)  # T x N x classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=2)


class UnrolledBiLSTM(nn.Module):
    """A trained one-layer bidirectional LSTM written out step by step, for ONNX export only.

    cv2.dnn runs an ONNX LSTM node one sample and one step at a time (about 3.5 ms per plate,
    80% of the reader); the same arithmetic as plain batched MatMul/Sigmoid/Tanh nodes runs about
    4x faster there. The weights are stored transposed under fixed names so that
    training.onnx_weights can read them back.
    """

    def __init__(self, lstm: nn.LSTM) -> None:
        super().__init__()
        if lstm.num_layers != 1 or not lstm.bidirectional or lstm.batch_first:
            raise ValueError("only a one-layer, bidirectional, sequence-first LSTM")
        self.hidden = lstm.hidden_size
        for suffix, name in (("", "forward"), ("_reverse", "backward")):
            weight_ih = getattr(lstm, f"weight_ih_l0{suffix}").detach()
            weight_hh = getattr(lstm, f"weight_hh_l0{suffix}").detach()
            bias = getattr(lstm, f"bias_ih_l0{suffix}") + getattr(lstm, f"bias_hh_l0{suffix}")
            self.register_parameter(f"input_{name}", nn.Parameter(weight_ih.T.contiguous()))
            self.register_parameter(f"recurrent_{name}", nn.Parameter(weight_hh.T.contiguous()))
            self.register_parameter(f"bias_{name}", nn.Parameter(bias.detach().clone()))

    def _direction(self, sequence: torch.Tensor, name: str, reverse: bool) -> torch.Tensor:
        projected = sequence @ getattr(self, f"input_{name}") + getattr(self, f"bias_{name}")
        recurrent = getattr(self, f"recurrent_{name}")
        state = projected.new_zeros(projected.shape[1], self.hidden)
        cell = projected.new_zeros(projected.shape[1], self.hidden)
        outputs: list[torch.Tensor] = [state] * projected.shape[0]
        steps = range(projected.shape[0])
        for t in reversed(steps) if reverse else steps:
            gates = projected[t] + state @ recurrent
            i, f, g, o = gates.chunk(4, dim=1)  # PyTorch's gate order
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
            state = torch.sigmoid(o) * torch.tanh(cell)
            outputs[t] = state
        return torch.stack(outputs)

    def forward(self, sequence: torch.Tensor) -> tuple[torch.Tensor, None]:
        forward = self._direction(sequence, "forward", reverse=False)
        backward = self._direction(sequence, "backward", reverse=True)
        return torch.cat([forward, backward], dim=2), None


def for_export(reader: PlateReader) -> PlateReader:
    """A copy of the reader whose LSTM is unrolled (same outputs; see UnrolledBiLSTM)."""
    import copy

    exported = copy.deepcopy(reader).eval()
    exported.rnn = UnrolledBiLSTM(reader.rnn)  # type: ignore[assignment]
    return exported


class PlateDetector(nn.Module):
    """Fully convolutional plate-region segmentation at 1/4 resolution.

    Input N x 3 x H x W (BGR scaled to 0-1, H and W multiples of 32); output N x 1 x H/4 x W/4:
    probability that the cell lies on a plate. Boxes are the connected regions (dense targets
    learn much faster than centre points on the few CPU minutes available).
    """

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, 16, stride=2), _conv_bn(16, 24, stride=2))  # 1/4
        self.stage4 = nn.Sequential(self._separable(24, 32), self._separable(32, 32))
        self.stage8 = nn.Sequential(
            self._separable(32, 48, stride=2), self._separable(48, 48), self._separable(48, 48)
        )
        self.stage16 = nn.Sequential(
            self._separable(48, 96, stride=2),
            self._separable(96, 96),
            self._separable(96, 96, dilation=2),
            self._separable(96, 96, dilation=4),
        )
        self.stage32 = nn.Sequential(
            self._separable(96, 128, stride=2),
            self._separable(128, 128),
            self._separable(128, 128, dilation=2),
        )
        self.lateral16 = _conv_bn(128, 96, kernel=1, padding=0)
        self.lateral8 = _conv_bn(96, 48, kernel=1, padding=0)
        self.lateral4 = _conv_bn(48, 32, kernel=1, padding=0)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Sequential(self._separable(32, 48), nn.Conv2d(48, 1, 1))
        self.head[-1].bias.data[0] = -3.0  # plates cover few cells: start with a low prior

    @staticmethod
    def _separable(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
        return nn.Sequential(
            _conv_bn(cin, cin, stride=stride, padding=dilation, groups=cin)
            if dilation == 1
            else nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, dilation, dilation=dilation, groups=cin, bias=False),
                nn.BatchNorm2d(cin),
                nn.ReLU(inplace=True),
            ),
            _conv_bn(cin, cout, kernel=1, padding=0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c4 = self.stage4(self.stem(x))
        c8 = self.stage8(c4)
        c16 = self.stage16(c8)
        c32 = self.stage32(c16)
        p16 = c16 + self.up(self.lateral16(c32))
        p8 = c8 + self.up(self.lateral8(p16))
        p4 = c4 + self.up(self.lateral4(p8))
        out = self.head(p4)
        return torch.sigmoid(out)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class StateClassifier(nn.Module):
    """Which US state issued a plate, from the plate's colour crop (layouts, colours, names).

    Input N x 3 x 48 x 96 (BGR, scaled as chalicelib.recognition.state.to_state_input); output
    N x len(STATE_CODES) probabilities. Global average pooling keeps it small and tolerant of
    where the detector's box sits.
    """

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn(3, 24),
            nn.MaxPool2d(2, 2),  # 24 x 48
            _conv_bn(24, 48),
            nn.MaxPool2d(2, 2),  # 12 x 24
            _conv_bn(48, 64),
            _conv_bn(64, 64),
            nn.MaxPool2d(2, 2),  # 6 x 12
            _conv_bn(64, 96),
            _conv_bn(96, 128),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(128, classes)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=1)
