#!/usr/bin/python3
"""Writes the ONNX fuzz seeds: tiny PyTorch exports (input 3, hidden 2, output 2) of every graph shape the importer
recognises, so the fuzzer starts from small valid models (a few hundred bytes to 2 KB each) instead of the
20-80 KB fixtures. Run from the repository root with Debian's PyTorch: /usr/bin/python3 src/test/resources/fuzz/onnx/make_seeds.py
Deterministic (fixed seed); the files are committed, so CI does not need torch.
"""
import os
import sys

sys.dont_write_bytecode = True
import torch
import torch.nn as nn

OUT = os.path.dirname(os.path.abspath(__file__))


class LstmRNN(nn.Module):  # the README model: LSTM -> view -> Linear -> view (Gemm head)
    def __init__(self, layers, bias=True):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, layers, bias=bias)
        self.forwardCalculation = nn.Linear(2, 2)

    def forward(self, _x):
        x, _ = self.lstm(_x)
        s, b, h = x.shape
        x = x.view(s * b, h)
        x = self.forwardCalculation(x)
        return x.view(s, b, -1)


class MatMulHead(nn.Module):  # Linear on the 3-D output -> MatMul + Add
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, 1)
        self.fc = nn.Linear(2, 2)

    def forward(self, _x):
        x, _ = self.lstm(_x)
        return self.fc(x)


class LstmOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, 2)

    def forward(self, _x):
        x, _ = self.lstm(_x)
        return x


DYN = {"images": {0: "seq", 1: "batch"}, "prob": {0: "seq", 1: "batch"}}
SEEDS = [
    ("gemm_head_opset12.onnx", lambda: LstmRNN(1), 12, False),
    ("gemm_head_2layers_opset9_dynamic.onnx", lambda: LstmRNN(2), 9, True),
    ("gemm_head_opset13_dynamic.onnx", lambda: LstmRNN(1), 13, True),
    ("gemm_head_nobias_opset17.onnx", lambda: LstmRNN(1, bias=False), 17, False),
    ("matmul_add_head_opset11_dynamic.onnx", MatMulHead, 11, True),
    ("lstm_only_opset14.onnx", LstmOnly, 14, False),
]

for name, make, opset, dynamic in SEEDS:
    torch.manual_seed(1)
    model = make().eval()
    torch.onnx.export(model, torch.randn(2, 1, 3), os.path.join(OUT, name), input_names=["images"],
                      output_names=["prob"], opset_version=opset, dynamic_axes=DYN if dynamic else None)
    print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")
