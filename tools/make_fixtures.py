#!/usr/bin/python3
"""Generate the ONNX/NumPy test fixtures for vlstm.

Run from the repository root with Debian's PyTorch interpreter:

    /usr/bin/python3 tools/make_fixtures.py

(The default `python3` on PATH may not have torch.)

For every fixture it writes src/test/resources/fixtures/<name>/:
    model.onnx                  exported with torch.onnx.export
    input.npy / expected.npy    float32, C order; expected = PyTorch output
                                (module in eval mode, float32, no_grad)
    input_N.npy / expected_N.npy  extra shapes for dynamic_axes exports
and src/test/resources/fixtures/fixtures.json describing all fixtures.

It also writes tools/FIXTURES_GRAPHS.txt, a human-readable dump of each
exported graph, and cross-checks every case by running the exported graph
with the small NumPy ONNX interpreter in tools/onnx_numpy_ref.py.

Everything is deterministic: each fixture uses its own torch.manual_seed,
so rerunning reproduces the same weights, inputs and outputs.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "src", "test", "resources", "fixtures")
GRAPHS_TXT = os.path.join(HERE, "FIXTURES_GRAPHS.txt")

sys.path.insert(0, HERE)
import onnx_numpy_ref  # noqa: E402


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class LstmRNN(nn.Module):
    """The model users export (README example): LSTM + view + Linear + view."""

    def __init__(self, input_size, hidden_size=1, output_size=1, num_layers=1, bias=True):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, bias=bias)
        self.forwardCalculation = nn.Linear(hidden_size, output_size)

    def forward(self, _x):
        x, _ = self.lstm(_x)  # (seq, batch, input) -> (seq, batch, hidden)
        s, b, h = x.shape
        x = x.view(s * b, h)
        x = self.forwardCalculation(x)
        return x.view(s, b, -1)


class LstmMatMulHead(nn.Module):
    """Linear applied directly to the 3-D LSTM output -> exported as MatMul + Add."""

    def __init__(self, input_size, hidden_size, output_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, _x):
        x, _ = self.lstm(_x)
        return self.fc(x)


class LstmOnly(nn.Module):
    """No head: returns the LSTM output sequence."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers)

    def forward(self, _x):
        x, _ = self.lstm(_x)
        return x


DYN_AXES = {"images": {0: "seq", 1: "batch"}, "prob": {0: "seq", 1: "batch"}}

# Shapes (seq, batch) of the extra cases for dynamic exports.
EXTRA_SB = [(7, 3), (1, 5)]


def F(name, description, *, kind="lstmrnn", input_size, hidden_size, output_size,
      layers, shape, opset=12, dynamic=False, bias=True, seed=None):
    return dict(name=name, description=description, kind=kind, input_size=input_size,
                hidden_size=hidden_size, output_size=output_size, layers=layers,
                shape=list(shape), opset=opset, dynamic=dynamic, bias=bias, seed=seed)


FIXTURES = [
    F("lstm16_s1_b150",
      "README example: LstmRNN(100, 16, output_size=13, num_layers=2), input [1,150,100], opset 12",
      input_size=100, hidden_size=16, output_size=13, layers=2, shape=(1, 150, 100)),
    F("lstm16_s150_b1",
      "Same model as the README example, input [150,1,100] (long sequence, batch 1), opset 12",
      input_size=100, hidden_size=16, output_size=13, layers=2, shape=(150, 1, 100)),
    F("lstm16_dynamic",
      "README model exported with dynamic seq/batch axes, traced at [5,2,100], opset 12",
      input_size=100, hidden_size=16, output_size=13, layers=2, shape=(5, 2, 100), dynamic=True),
    F("layers1",
      "LstmRNN(10, 16, output_size=4, num_layers=1), input [6,3,10], opset 12",
      input_size=10, hidden_size=16, output_size=4, layers=1, shape=(6, 3, 10)),
    F("layers3",
      "LstmRNN(10, 16, output_size=4, num_layers=3), input [6,3,10], opset 12",
      input_size=10, hidden_size=16, output_size=4, layers=3, shape=(6, 3, 10)),
    F("hidden13",
      "LstmRNN(10, 13, output_size=4, num_layers=2) - hidden not a multiple of 16, input [6,3,10]",
      input_size=10, hidden_size=13, output_size=4, layers=2, shape=(6, 3, 10)),
    F("hidden37",
      "LstmRNN(10, 37, output_size=4, num_layers=2) - hidden not a multiple of 16, input [6,3,10]",
      input_size=10, hidden_size=37, output_size=4, layers=2, shape=(6, 3, 10)),
    F("input1",
      "LstmRNN(1, 16, output_size=4, num_layers=2) - input size 1, input [12,2,1]",
      input_size=1, hidden_size=16, output_size=4, layers=2, shape=(12, 2, 1)),
]

for _op in (9, 11, 13, 14, 17):
    FIXTURES.append(
        F(f"opset{_op}",
          f"LstmRNN(8, 12, output_size=3, num_layers=2), input [4,3,8], opset {_op}",
          input_size=8, hidden_size=12, output_size=3, layers=2, shape=(4, 3, 8), opset=_op))
for _op in (9, 13, 17):
    FIXTURES.append(
        F(f"opset{_op}_dynamic",
          f"LstmRNN(8, 12, output_size=3, num_layers=2), dynamic seq/batch axes, traced at [4,3,8], opset {_op}",
          input_size=8, hidden_size=12, output_size=3, layers=2, shape=(4, 3, 8), opset=_op,
          dynamic=True))

FIXTURES += [
    F("nobias",
      "LstmRNN(10, 16, output_size=4, num_layers=2) with nn.LSTM(bias=False) (Linear keeps bias), input [6,3,10]",
      input_size=10, hidden_size=16, output_size=4, layers=2, shape=(6, 3, 10), bias=False),
    F("matmul_add_head",
      "LSTM(10,16,2) + Linear(16,4) applied to the 3-D output (exported as MatMul + Add), input [6,3,10]",
      kind="matmul", input_size=10, hidden_size=16, output_size=4, layers=2, shape=(6, 3, 10)),
    F("matmul_add_head_dynamic",
      "LSTM(10,16,2) + Linear(16,4) on the 3-D output (MatMul + Add), dynamic axes, traced at [6,3,10]",
      kind="matmul", input_size=10, hidden_size=16, output_size=4, layers=2, shape=(6, 3, 10),
      dynamic=True),
    F("lstm_only",
      "LSTM(10,16,2) only, output is the LSTM sequence output (no head), input [6,3,10]",
      kind="lstm_only", input_size=10, hidden_size=16, output_size=None, layers=2, shape=(6, 3, 10)),
    F("lstm_only_dynamic",
      "LSTM(10,16,2) only (no head), dynamic axes, traced at [6,3,10]",
      kind="lstm_only", input_size=10, hidden_size=16, output_size=None, layers=2, shape=(6, 3, 10),
      dynamic=True),
]

for _i, _f in enumerate(FIXTURES):
    _f["seed"] = 1000 + _i if _f["seed"] is None else _f["seed"]

HEAD_KIND = {"lstmrnn": "gemm", "matmul": "matmul_add", "lstm_only": None}


def build_model(f):
    if f["kind"] == "lstmrnn":
        m = LstmRNN(f["input_size"], f["hidden_size"], f["output_size"], f["layers"], bias=f["bias"])
    elif f["kind"] == "matmul":
        m = LstmMatMulHead(f["input_size"], f["hidden_size"], f["output_size"], f["layers"])
    elif f["kind"] == "lstm_only":
        m = LstmOnly(f["input_size"], f["hidden_size"], f["layers"])
    else:
        raise ValueError(f["kind"])
    m.eval()
    return m


def save_npy(path, arr):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
    np.save(path, arr, allow_pickle=False)


# --------------------------------------------------------------------------
# Graph dump
# --------------------------------------------------------------------------

DUMP_ATTR_OPS = {"Squeeze", "Unsqueeze", "Reshape", "Gemm", "LSTM", "Slice", "Expand",
                 "ConstantOfShape", "Constant", "Transpose", "Gather", "Concat", "Cast",
                 "MatMul", "Add"}


def fmt_attr(a):
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, onnx.TensorProto):
        arr = onnx.numpy_helper.to_array(v)
        if arr.size <= 16:
            return f"{a.name}=tensor<{onnx.TensorProto.DataType.Name(v.data_type)}{list(arr.shape)}>{arr.tolist()}"
        return f"{a.name}=tensor<{onnx.TensorProto.DataType.Name(v.data_type)}{list(arr.shape)}>"
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, list):
        v = [x.decode() if isinstance(x, bytes) else x for x in v]
    return f"{a.name}={v}"


def fmt_vi(vi):
    t = vi.type.tensor_type
    dims = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            dims.append(str(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(repr(d.dim_param))
        else:
            dims.append("?")
    return f"{vi.name}: {onnx.TensorProto.DataType.Name(t.elem_type)}[{', '.join(dims)}]"


def dump_graph(name, model):
    g = model.graph
    lines = [f"=== {name} ===",
             f"ir_version={model.ir_version} opset_import="
             + ", ".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
             + f" producer={model.producer_name} {model.producer_version}"]
    lines.append("inputs:")
    for vi in g.input:
        lines.append("  " + fmt_vi(vi))
    lines.append("outputs:")
    for vi in g.output:
        lines.append("  " + fmt_vi(vi))
    lines.append("initializers:")
    for t in g.initializer:
        arr = onnx.numpy_helper.to_array(t)
        extra = f" = {arr.tolist()}" if arr.size <= 8 and t.data_type != onnx.TensorProto.FLOAT else ""
        if arr.size <= 4 and t.data_type == onnx.TensorProto.FLOAT:
            extra = f" = {arr.tolist()}"
        lines.append(f"  {t.name}: {onnx.TensorProto.DataType.Name(t.data_type)}{list(arr.shape)}{extra}")
    lines.append("nodes:")
    for i, n in enumerate(g.node):
        s = f"  [{i}] {n.op_type}({', '.join(repr(x) for x in n.input)}) -> ({', '.join(repr(x) for x in n.output)})"
        if n.name:
            s += f"  name={n.name!r}"
        if n.attribute and n.op_type in DUMP_ATTR_OPS:
            s += "  {" + "; ".join(fmt_attr(a) for a in n.attribute) + "}"
        elif n.attribute:
            s += "  {" + "; ".join(a.name for a in n.attribute) + "}"
        lines.append(s)
    lines.append("op sequence: " + " ".join(n.op_type for n in g.node))
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def make_fixture(f):
    torch.manual_seed(f["seed"])  # weights and all inputs come from this seed
    model = build_model(f)
    d = os.path.join(OUT, f["name"])
    os.makedirs(d, exist_ok=True)
    # Remove stale case files from previous runs.
    for fn in os.listdir(d):
        if fn.endswith(".npy") or fn == "model.onnx":
            os.remove(os.path.join(d, fn))

    x0 = torch.randn(*f["shape"], dtype=torch.float32)
    shapes = [tuple(f["shape"])]
    if f["dynamic"]:
        shapes += [(s, b, f["input_size"]) for (s, b) in EXTRA_SB]

    inputs = [x0] + [torch.randn(*sh, dtype=torch.float32) for sh in shapes[1:]]

    onnx_path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, x0, onnx_path,
            input_names=["images"], output_names=["prob"],
            opset_version=f["opset"],
            dynamic_axes=DYN_AXES if f["dynamic"] else None,
            do_constant_folding=True,
        )
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)

    cases = []
    max_err = 0.0
    for i, x in enumerate(inputs):
        suffix = "" if i == 0 else f"_{i + 1}"
        with torch.no_grad():
            y = model(x).detach().numpy().astype(np.float32)
        xin = x.numpy().astype(np.float32)
        save_npy(os.path.join(d, f"input{suffix}.npy"), xin)
        save_npy(os.path.join(d, f"expected{suffix}.npy"), y)
        # Cross-check: run the exported ONNX graph with the NumPy interpreter.
        (yr,) = onnx_numpy_ref.run(m, {"images": xin})
        if yr.shape != y.shape:
            raise AssertionError(f"{f['name']} case {i}: ref shape {yr.shape} != torch {y.shape}")
        err = float(np.max(np.abs(yr.astype(np.float64) - y.astype(np.float64))))
        max_err = max(max_err, err)
        if err > 1e-5:
            raise AssertionError(f"{f['name']} case {i}: numpy-ref vs torch max abs err {err}")
        cases.append({"input": f"input{suffix}.npy", "expected": f"expected{suffix}.npy",
                      "shape": list(xin.shape), "output_shape": list(y.shape)})

    entry = {
        "name": f["name"],
        "description": f["description"],
        "opset": f["opset"],
        "input_name": "images",
        "output_name": "prob",
        "cases": cases,
        "dynamic": f["dynamic"],
        "bias": f["bias"],
        "layers": f["layers"],
        "input_size": f["input_size"],
        "hidden_size": f["hidden_size"],
        "output_size": f["output_size"],
        "head_kind": HEAD_KIND[f["kind"]],
        "seed": f["seed"],
    }
    return entry, m, max_err


def main():
    os.makedirs(OUT, exist_ok=True)
    entries = []
    dumps = []
    for f in FIXTURES:
        entry, m, err = make_fixture(f)
        entries.append(entry)
        dumps.append(dump_graph(f["name"], m))
        size = sum(os.path.getsize(os.path.join(OUT, f["name"], fn))
                   for fn in os.listdir(os.path.join(OUT, f["name"])))
        print(f"{f['name']:26s} opset {f['opset']:2d} cases {len(entry['cases'])} "
              f"bytes {size:7d} numpy-ref max|err| {err:.2e}")
    with open(os.path.join(OUT, "fixtures.json"), "w") as fh:
        json.dump(entries, fh, indent=2)
        fh.write("\n")
    with open(GRAPHS_TXT, "w") as fh:
        fh.write("Generated by tools/make_fixtures.py (torch %s, onnx %s)\n\n"
                 % (torch.__version__, onnx.__version__))
        fh.write("\n".join(dumps))
    total = 0
    for dp, _, fns in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dp, fn)) for fn in fns)
    print(f"total fixture bytes: {total}")


if __name__ == "__main__":
    main()
