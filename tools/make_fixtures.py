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

The fixtures in IO_FIXTURES (bidirectional, batch_first, explicit h0/c0 in and
h_n/c_n out, many-to-one, trained weights, saturated gates, bidirectional at
several opsets) may have several graph inputs and outputs. Their tensors are
all named (x, h0, c0 -> y, h_n, c_n) and each of their cases carries an "io"
object listing every input/output with its file, role and shape:
    "io": {"inputs":  [{"name": "x",  "file": "input.npy", "role": "sequence", "shape": [...]},
                       {"name": "h0", "file": "h0.npy",    "role": "initial_h", ...},
                       {"name": "c0", "file": "c0.npy",    "role": "initial_c", ...}],
           "outputs": [{"name": "y",   "file": "expected.npy",    "role": "sequence" | "last_step", ...},
                       {"name": "h_n", "file": "expected_hn.npy", "role": "final_h", ...},
                       {"name": "c_n", "file": "expected_cn.npy", "role": "final_c", ...}]}
"input"/"expected" of a case are still the main sequence input (x) and the
main output (y). Roles: "sequence" = [seq, batch, F] ([batch, seq, F] when the
entry has "batch_first": true), "last_step" = [batch, F], "initial_h",
"initial_c", "final_h", "final_c" = [num_layers * num_directions, batch, hidden]
(PyTorch order: layer-major, direction-minor).

It also writes tools/FIXTURES_GRAPHS.txt, a human-readable dump of each
exported graph, and cross-checks every case by running the exported graph
with the small NumPy ONNX interpreter in tools/onnx_numpy_ref.py.

Everything is deterministic: each fixture uses its own torch.manual_seed,
so rerunning reproduces the same weights, inputs and outputs.
"""

import json
import math
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
    # float32, except token ids, which stay int64 as PyTorch's LongTensor holds them
    arr = np.ascontiguousarray(arr if np.asarray(arr).dtype == np.int64 else np.asarray(arr, dtype=np.float32))
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


# --------------------------------------------------------------------------
# Fixtures with several named inputs/outputs (IO_FIXTURES)
# --------------------------------------------------------------------------

class SeqModel(nn.Module):
    """Configurable LSTM model for IO_FIXTURES.

    head: None          -> returns the LSTM output sequence
          "view_linear" -> out.view(s*b, D*h) -> Linear -> view(s, b, -1)  (README pattern, Gemm)
          "linear3d"    -> Linear applied to the 3-D output (MatMul + Add)
          "last_step"   -> Linear on the last time step: out[-1] (seq-first) or
                           out[:, -1, :] (batch_first)  (many-to-one)
          "final_state" -> Linear on the top layer's final hidden state: fc(h_n[-1])
          "final_state_squeeze" -> the same for one layer written fc(h_n.squeeze(0))
          "final_state_bidir" -> a bidirectional top layer's both final states: fc(cat((h_n[-2], h_n[-1]), dim=1))
    states=True: forward(x, h0, c0) returns (output, (h_n, c_n)).
    vocab=N: the input is int64 token ids looked up by nn.Embedding(N, input_size) before the LSTM (issue 17).
    chain: the head as a list instead of one Linear (issue 17), applied where the head is:
           ("linear", out), "relu", ("leaky", alpha), "tanh", "sigmoid", ("elu", alpha), "softplus",
           "softmax", "logsoftmax", "layernorm", "layernorm_plain", "gelu", "gelu_tanh", "dropout" -- e.g. ["layernorm", ("linear", 3), "softmax"].
    """

    def __init__(self, input_size, hidden_size, output_size, num_layers, *, bidirectional=False,
                 batch_first=False, head=None, states=False, norm=False, chain=None, vocab=None):
        super().__init__()
        self.norm = norm
        self.emb = nn.Embedding(vocab, input_size) if vocab else None
        if norm:  # standardisation inside the model, with buffers (issue 17): (x - mean) / std
            self.register_buffer("mean", torch.randn(input_size) * 0.5)
            self.register_buffer("std", torch.rand(input_size) + 0.5)
        self.batch_first = batch_first
        self.head = head
        self.states = states
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, bidirectional=bidirectional,
                            batch_first=batch_first)
        if head is not None and chain is not None:
            self.fc = build_chain(chain, hidden_size * (2 if bidirectional else 1))
        elif head is not None:
            self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x, h0=None, c0=None):
        if self.emb is not None:
            x = self.emb(x)
        if self.norm:
            x = (x - self.mean) / self.std
        if self.states:
            out, (hn, cn) = self.lstm(x, (h0, c0))
        else:
            out, (hn, cn) = self.lstm(x)
        if self.head == "view_linear":
            s, b, h = out.shape
            out = self.fc(out.view(s * b, h)).view(s, b, -1)
        elif self.head == "linear3d":
            out = self.fc(out)
        elif self.head == "last_step":
            out = self.fc(out[:, -1, :] if self.batch_first else out[-1])
        elif self.head == "final_state":        # h_n is [layers * directions, batch, hidden] even when batch_first
            out = self.fc(hn[-1])
        elif self.head == "final_state_squeeze":
            out = self.fc(hn.squeeze(0))
        elif self.head == "mean_time":           # mean over time: dim 1 batch-first, dim 0 seq-first
            out = self.fc(out.mean(dim=1 if self.batch_first else 0))
        elif self.head == "max_time":
            out = self.fc(out.amax(dim=1 if self.batch_first else 0))
        elif self.head == "final_state_bidir":  # both directions of the top layer, forward first
            out = self.fc(torch.cat((hn[-2], hn[-1]), dim=1))
        if self.states:
            return out, (hn, cn)
        return out


def build_chain(chain, width):
    """nn.Sequential of SeqModel's chain items, starting at width features."""
    mods = []
    for item in chain:
        kind, arg = (item, None) if isinstance(item, str) else item
        if kind == "linear":
            mods.append(nn.Linear(width, arg))
            width = arg
        elif kind == "layernorm_plain":  # elementwise_affine=False: no Mul and Add after the normalisation
            mods.append(nn.LayerNorm(width, elementwise_affine=False))
        elif kind == "layernorm":
            ln = nn.LayerNorm(width)
            with torch.no_grad():  # not the identity PyTorch initialises it to
                ln.weight.copy_(torch.rand(width) + 0.5)
                ln.bias.copy_(torch.randn(width) * 0.3)
            mods.append(ln)
        else:
            mods.append({"relu": lambda: nn.ReLU(), "leaky": lambda: nn.LeakyReLU(arg), "tanh": lambda: nn.Tanh(),
                         "sigmoid": lambda: nn.Sigmoid(), "elu": lambda: nn.ELU(arg), "softplus": lambda: nn.Softplus(),
                         "softmax": lambda: nn.Softmax(dim=-1), "logsoftmax": lambda: nn.LogSoftmax(dim=-1),
                         "dropout": lambda: nn.Dropout(0.3), "gelu": lambda: nn.GELU(),
                         "gelu_tanh": lambda: nn.GELU(approximate="tanh")}[kind]())
    return nn.Sequential(*mods)


def G(name, description, *, input_size, hidden_size, output_size, layers, seq, batch, seed,
      model="seq", head=None, bidirectional=False, batch_first=False, states=False, opset=12,
      dynamic=False, input_scale=None, train=None, norm=False, chain=None, vocab=None):
    return dict(name=name, description=description, model=model, input_size=input_size, chain=chain, vocab=vocab,
                hidden_size=hidden_size, output_size=output_size, layers=layers, seq=seq,
                batch=batch, seed=seed, head=head, bidirectional=bidirectional,
                batch_first=batch_first, states=states, opset=opset, dynamic=dynamic,
                input_scale=input_scale, train=train, norm=norm)


# The bidirectional 2-layer model with a view/Linear/view head; exported at
# opset 12 (bidir2_head) and again, with the same weights and the same first
# input (same seed), at the opsets in BIDIR_OPSETS.
BIDIR2 = dict(input_size=7, hidden_size=9, output_size=4, layers=2, seq=5, batch=3,
              head="view_linear", bidirectional=True, seed=2002)
BIDIR_OPSETS = (9, 11, 13, 14, 17)

# Sine-wave next-value task for the trained fixture.
SINE_DT = 0.3
SINE_TRAIN = dict(steps=200, lr=0.02, batch=16, seq=30)
SINE_PHASES = (0.5, 2.0)  # one fixture input column per phase

IO_FIXTURES = [
    G("bidir_head",
      "Bidirectional LSTM(8, 11, 1 layer) + out.view(s*b, 22) -> Linear(22, 3) -> view(s, b, -1), "
      "x [5,2,8] -> y [5,2,3], opset 12",
      input_size=8, hidden_size=11, output_size=3, layers=1, seq=5, batch=2,
      head="view_linear", bidirectional=True, seed=2001),
    G("bidir2_head",
      "Bidirectional LSTM(7, 9, 2 layers) + out.view(s*b, 18) -> Linear(18, 4) -> view(s, b, -1), "
      "x [5,3,7] -> y [5,3,4], opset 12",
      **BIDIR2),
    G("batch_first_head",
      "LSTM(6, 11, 2 layers, batch_first=True) + Linear(11, 4) on the 3-D [b, s, h] output (MatMul + Add), "
      "x [3,5,6] (batch, seq, input) -> y [3,5,4], opset 12",
      input_size=6, hidden_size=11, output_size=4, layers=2, seq=5, batch=3,
      head="linear3d", batch_first=True, seed=2003),
    G("batch_first_bidir",
      "Bidirectional LSTM(5, 7, 1 layer, batch_first=True), no head, returns the output "
      "x [2,6,5] (batch, seq, input) -> y [2,6,14], opset 12",
      input_size=5, hidden_size=7, output_size=None, layers=1, seq=6, batch=2,
      bidirectional=True, batch_first=True, seed=2004),
    G("states_uni2",
      "LSTM(6, 8, 2 layers), forward(x, h0, c0) returns (output, (h_n, c_n)); "
      "x [5,3,6], h0/c0 [2,3,8] -> y [5,3,8], h_n/c_n [2,3,8], opset 12",
      input_size=6, hidden_size=8, output_size=None, layers=2, seq=5, batch=3,
      states=True, seed=2005),
    G("states_bidir2",
      "Bidirectional LSTM(7, 6, 2 layers), forward(x, h0, c0) returns (output, (h_n, c_n)); "
      "x [5,3,7], h0/c0 [4,3,6] (layer-major, direction-minor) -> y [5,3,12], h_n/c_n [4,3,6], opset 12",
      input_size=7, hidden_size=6, output_size=None, layers=2, seq=5, batch=3,
      bidirectional=True, states=True, seed=2006),
    G("many_to_one",
      "Many-to-one: out, _ = LSTM(7, 10, 2 layers)(x); Linear(10, 2)(out[-1]); "
      "x [6,3,7] -> y [3,2] (last step only), opset 12",
      input_size=7, hidden_size=10, output_size=2, layers=2, seq=6, batch=3,
      head="last_step", seed=2007),
    G("many_to_one_bf",
      "Many-to-one, batch_first: out, _ = LSTM(7, 10, 2 layers, batch_first=True)(x); "
      "Linear(10, 2)(out[:, -1, :]); x [3,6,7] (batch, seq, input) -> y [3,2], opset 12",
      input_size=7, hidden_size=10, output_size=2, layers=2, seq=6, batch=3,
      head="last_step", batch_first=True, seed=2008),
    G("trained_sine",
      "README LstmRNN(1, 8, output_size=1, num_layers=1) with TRAINED weights: %d Adam steps "
      "(lr %g, batch %d, seq %d) on sine next-value prediction (dt %g); x = two sine segments "
      "[16,2,1] (phases %s) -> y [16,2,1] (predicted next values), opset 12"
      % (SINE_TRAIN["steps"], SINE_TRAIN["lr"], SINE_TRAIN["batch"], SINE_TRAIN["seq"], SINE_DT,
         list(SINE_PHASES)),
      model="lstmrnn", input_size=1, hidden_size=8, output_size=1, layers=1, seq=16, batch=2,
      head="view_linear", train=SINE_TRAIN, seed=2009),
    G("saturated_x50",
      "README LstmRNN(10, 16, output_size=4, num_layers=2); input = randn * 50 so the first "
      "layer's gates saturate, x [6,3,10] -> y [6,3,4], opset 12",
      model="lstmrnn", input_size=10, hidden_size=16, output_size=4, layers=2, seq=6, batch=3,
      head="view_linear", input_scale=50.0, seed=2010),
]
for _op in BIDIR_OPSETS:
    IO_FIXTURES.append(
        G(f"bidir2_opset{_op}",
          f"Same model, weights and first input as bidir2_head (bidirectional LSTM(7, 9, 2 layers) "
          f"+ view/Linear(18, 4)/view), x [5,3,7] -> y [5,3,4], opset {_op}",
          opset=_op, **BIDIR2))
# Classifiers on the final state (issue 17): the top forward layer's final h is its last step.
FINAL_STATE = dict(input_size=7, hidden_size=10, output_size=3, layers=2, seq=6, batch=3,
                   head="final_state", seed=2011)
IO_FIXTURES += [
    G("final_state_dynamic",
      "Classifier on the final state: _, (h_n, _) = LSTM(7, 10, 2 layers)(x); Linear(10, 3)(h_n[-1]); "
      "x [6,3,7] -> y [3,3], dynamic seq/batch axes (extra cases [7,3,7] and [1,5,7]), opset 13",
      opset=13, dynamic=True, **FINAL_STATE),
    G("final_state_opset9",
      "Same model, weights and first input as final_state_dynamic, static shapes, opset 9",
      opset=9, **FINAL_STATE),
    G("final_state_bf_squeeze",
      "One layer, batch_first: _, (h_n, _) = LSTM(5, 8, batch_first=True)(x); Linear(8, 2)(h_n.squeeze(0)); "
      "x [3,6,5] (batch, seq, input) -> y [3,2], dynamic axes, opset 17",
      input_size=5, hidden_size=8, output_size=2, layers=1, seq=6, batch=3, head="final_state_squeeze",
      batch_first=True, opset=17, dynamic=True, seed=2012),
]
# Bidirectional classifiers on both final states (issue 17): format role 21.
IO_FIXTURES += [
    G("final_state_bidir_dynamic",
      "Bidirectional classifier: _, (h_n, _) = LSTM(6, 9, 2 layers, bidirectional)(x); "
      "Linear(18, 3)(cat((h_n[-2], h_n[-1]), dim=1)); x [5,3,6] -> y [3,3], dynamic axes, opset 13",
      input_size=6, hidden_size=9, output_size=3, layers=2, seq=5, batch=3, head="final_state_bidir",
      bidirectional=True, opset=13, dynamic=True, seed=2021),
    G("final_state_bidir_bf_opset9",
      "One bidirectional layer, batch_first: softmax(Linear(14, 4)(cat((h_n[-2], h_n[-1]), dim=1)), -1); "
      "x [3,6,5] (batch, seq, input) -> y [3,4], opset 9",
      input_size=5, hidden_size=7, output_size=4, layers=1, seq=6, batch=3, head="final_state_bidir",
      bidirectional=True, batch_first=True, chain=[("linear", 4), "softmax"], opset=9, seed=2022),
]
# Several outputs at once (issue 17): a classifier's probabilities with the final states.
IO_FIXTURES += [
    G("classifier_with_states",
      "forward(x, h0, c0) returns (softmax(Linear(8, 3)(out[-1])), (h_n, c_n)), LSTM(5, 8, 2 layers); "
      "x [6,2,5], h0/c0 [2,2,8] -> y [2,3], h_n/c_n [2,2,8], dynamic axes, opset 13",
      input_size=5, hidden_size=8, output_size=3, layers=2, seq=6, batch=2, head="last_step", states=True,
      chain=[("linear", 3), "softmax"], opset=13, dynamic=True, seed=2025),
]
# Pooling over time (issue 17): format role 22.
IO_FIXTURES += [
    G("pool_mean_bf_dynamic",
      "Mean over time: Linear(10, 3)(out.mean(dim=1)), LSTM(6, 10, 2 layers, batch_first), x [3,5,6] -> y [3,3], "
      "dynamic axes, opset 13",
      input_size=6, hidden_size=10, output_size=3, layers=2, seq=5, batch=3, head="mean_time", batch_first=True,
      opset=13, dynamic=True, seed=2023),
    G("pool_max_bidir_opset11",
      "Max over time then an MLP: Sequential(Linear(16, 8), ReLU, Linear(8, 2))(out.amax(dim=0)), bidirectional "
      "LSTM(4, 8), x [6,2,4] -> y [2,2], opset 11",
      input_size=4, hidden_size=8, output_size=2, layers=1, seq=6, batch=2, head="max_time", bidirectional=True,
      chain=[("linear", 8), "relu", ("linear", 2)], opset=11, seed=2024),
]
# Standardisation inside the model, folded into the first layer at conversion (issue 17).
IO_FIXTURES += [
    G("norm_bf_many_to_one",
      "(x - mean) / std with buffers, then LSTM(6, 9, 2 layers, batch_first=True) and Linear(9, 2)(out[:, -1, :]); "
      "x [3,5,6] (batch, seq, input) -> y [3,2], dynamic axes, opset 13",
      input_size=6, hidden_size=9, output_size=2, layers=2, seq=5, batch=3, head="last_step",
      batch_first=True, norm=True, opset=13, dynamic=True, seed=2013),
    G("norm_seq_head_opset9",
      "(x - mean) / std with buffers, then LSTM(4, 7, 1 layer) + view/Linear(7, 3)/view; x [5,2,4] -> y [5,2,3], "
      "opset 9",
      input_size=4, hidden_size=7, output_size=3, layers=1, seq=5, batch=2, head="view_linear",
      norm=True, opset=9, seed=2014),
]
# Heads of several operations (issue 17): activations, MLPs, softmax, layer norm.
IO_FIXTURES += [
    G("chain_sigmoid_per_step",
      "Probability per step: torch.sigmoid(Linear(12, 1)(out)) on LSTM(5, 12, 1 layer), x [6,3,5] -> y [6,3,1], "
      "dynamic axes, opset 13",
      input_size=5, hidden_size=12, output_size=1, layers=1, seq=6, batch=3, head="linear3d",
      chain=[("linear", 1), "sigmoid"], opset=13, dynamic=True, seed=2015),
    G("chain_softmax_many_to_one_bf",
      "Many-to-one with softmax: softmax(Linear(10, 4)(out[:, -1, :]), -1), LSTM(6, 10, 2 layers, batch_first), "
      "x [3,5,6] -> y [3,4], opset 11",
      input_size=6, hidden_size=10, output_size=4, layers=2, seq=5, batch=3, head="last_step",
      batch_first=True, chain=[("linear", 4), "softmax"], opset=11, seed=2016),
    G("chain_mlp_final_state",
      "MLP head on the final state: Sequential(Linear(16, 24), ReLU, Dropout, Linear(24, 8), Tanh, Linear(8, 3), "
      "LogSoftmax)(h_n[-1]), LSTM(4, 16, 2 layers), x [7,2,4] -> y [2,3], dynamic axes, opset 14",
      input_size=4, hidden_size=16, output_size=3, layers=2, seq=7, batch=2, head="final_state",
      chain=[("linear", 24), "relu", "dropout", ("linear", 8), "tanh", ("linear", 3), "logsoftmax"],
      opset=14, dynamic=True, seed=2017),
    G("chain_layernorm_opset17",
      "LayerNorm before the head: Linear(18, 5)(LayerNorm(18)(out)) then ELU(0.7), LeakyReLU(0.2), Softplus, on a "
      "bidirectional LSTM(3, 9), x [5,2,3] -> y [5,2,5], dynamic axes, opset 17",
      input_size=3, hidden_size=9, output_size=5, layers=1, seq=5, batch=2, head="linear3d", bidirectional=True,
      chain=["layernorm", ("linear", 5), ("elu", 0.7), ("leaky", 0.2), "softplus"], opset=17, dynamic=True,
      seed=2018),
    G("chain_decomposed_opset13",
      "LayerNorm and GELU as PyTorch writes them below opsets 17 and 20 (ReduceMean/Sub/Pow/.../Add; Div/Erf/Add/Mul/Mul; "
      "the tanh form): Linear(12, 3) -> GELU(tanh) after GELU(Linear(10, 12)(LayerNorm(10)(out))), LSTM(4, 10), "
      "x [6,2,4] -> y [6,2,3], dynamic axes, opset 13",
      input_size=4, hidden_size=10, output_size=3, layers=1, seq=6, batch=2, head="linear3d",
      chain=["layernorm", ("linear", 12), "gelu", ("linear", 3), "gelu_tanh"], opset=13, dynamic=True, seed=2019),
    G("chain_decomposed_final_state_opset9",
      "softmax(Linear(8, 4)(GELU(LayerNorm(8, elementwise_affine=False)(h_n[-1])))), LSTM(5, 8, 2 layers), decomposed "
      "at opset 9, x [5,3,5] -> y [3,4]",
      input_size=5, hidden_size=8, output_size=4, layers=2, seq=5, batch=3, head="final_state",
      chain=["layernorm_plain", "gelu", ("linear", 4), "softmax"], opset=9, seed=2020),
]
# Token ids (issue 17): nn.Embedding before the first layer, int64 ids as PyTorch gives them.
IO_FIXTURES += [
    G("embedding_2layer_per_step",
      "token ids: Linear(16, 40)(LSTM(12, 16, 2 layers)(nn.Embedding(40, 12)(ids))), a next-token logit per step, "
      "ids [6,3] int64 -> y [6,3,40], dynamic axes, opset 14",
      input_size=12, hidden_size=16, output_size=40, layers=2, seq=6, batch=3, head="linear3d", vocab=40,
      opset=14, dynamic=True, seed=2021),
    G("embedding_bf_final_state_opset9",
      "token ids, batch-first, a classifier on the final state: softmax(Linear(10, 3)(h_n[-1])), "
      "LSTM(8, 10, batch_first), nn.Embedding(25, 8), ids [2,7] int64 -> y [2,3], opset 9",
      input_size=8, hidden_size=10, output_size=3, layers=1, seq=7, batch=2, head="final_state", vocab=25,
      batch_first=True, chain=[("linear", 3), "softmax"], opset=9, seed=2022),
    G("embedding_bidir_mean_dynamic",
      "token ids into a bidirectional LSTM(6, 7), mean over time, Linear(14, 2): a sentence classifier, "
      "nn.Embedding(30, 6), ids [5,2] -> y [2,2], dynamic axes, opset 13",
      input_size=6, hidden_size=7, output_size=2, layers=1, seq=5, batch=2, head="mean_time", vocab=30,
      bidirectional=True, opset=13, dynamic=True, seed=2023),
]
IO_FIXTURES.append(
    G("bidir2_opset13_dynamic",
      "Same model and first input as bidir2_head, dynamic seq/batch axes, traced at [5,3,7], "
      "extra cases [7,3,7] and [1,5,7], opset 13",
      opset=13, dynamic=True, **BIDIR2))

IO_HEAD_KIND = {None: None, "view_linear": "gemm", "linear3d": "matmul_add",
                "last_step": "last_step_gemm", "final_state": "final_state_gemm",
                "final_state_squeeze": "final_state_gemm", "final_state_bidir": "final_state_bidir_gemm",
                "mean_time": "mean_over_time_gemm", "max_time": "max_over_time_gemm"}
# Heads with one output row per sequence, [batch, output]: the fixture's role "last_step".
ONE_ROW_HEADS = ("last_step", "final_state", "final_state_squeeze", "final_state_bidir", "mean_time", "max_time")


def build_io_model(f):
    if f["model"] == "lstmrnn":
        assert not (f["bidirectional"] or f["batch_first"] or f["states"])
        m = LstmRNN(f["input_size"], f["hidden_size"], f["output_size"], f["layers"])
    else:
        m = SeqModel(f["input_size"], f["hidden_size"], f["output_size"], f["layers"],
                     bidirectional=f["bidirectional"], batch_first=f["batch_first"],
                     head=f["head"], states=f["states"], norm=f["norm"], chain=f["chain"], vocab=f["vocab"])
    m.eval()
    return m


def sine_wave(seq, phases):
    """[seq, len(phases), 1] float32: sin(SINE_DT * t + phase)."""
    t = torch.arange(seq, dtype=torch.float32) * SINE_DT
    return torch.sin(t[:, None] + torch.as_tensor(phases, dtype=torch.float32)[None, :])[:, :, None]


def train_sine(model, steps, lr, batch, seq):
    """Train a seq-first model (x [seq, batch, 1] -> y [seq, batch, 1]) to predict the next
    sample of a sine wave. Deterministic: random phases come from the torch RNG (seeded by the
    caller) and training runs on one thread. Returns (first loss, last loss)."""
    nthreads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        losses = []
        for _ in range(steps):
            phases = torch.rand(batch) * (2 * math.pi)
            wave = sine_wave(seq + 1, phases)
            opt.zero_grad()
            loss = torch.mean((model(wave[:-1]) - wave[1:]) ** 2)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        model.eval()
    finally:
        torch.set_num_threads(nthreads)
    return losses[0], losses[-1]


def io_dynamic_axes(f):
    sd, bd = (1, 0) if f["batch_first"] else (0, 1)
    ax = {"x": {sd: "seq", bd: "batch"}}
    ax["y"] = {0: "batch"} if f["head"] in ONE_ROW_HEADS else {sd: "seq", bd: "batch"}
    if f["states"]:
        for n in ("h0", "c0", "h_n", "c_n"):
            ax[n] = {1: "batch"}
    return ax


def _declared_shape(vi):
    return [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]


def make_io_fixture(f):
    torch.manual_seed(f["seed"])  # weights, training phases and all inputs come from this seed
    model = build_io_model(f)
    train_losses = train_sine(model, **f["train"]) if f["train"] else None
    d = os.path.join(OUT, f["name"])
    os.makedirs(d, exist_ok=True)
    for fn in os.listdir(d):  # remove stale case files from previous runs
        if fn.endswith(".npy") or fn == "model.onnx":
            os.remove(os.path.join(d, fn))

    D = 2 if f["bidirectional"] else 1
    I, H = f["input_size"], f["hidden_size"]
    sb = [(f["seq"], f["batch"])] + (list(EXTRA_SB) if f["dynamic"] else [])
    case_inputs = []
    for s, b in sb:
        if f["train"]:
            x = sine_wave(s, SINE_PHASES[:b])
            assert x.shape == (s, b, 1)
        elif f["vocab"]:  # token ids, the first and last of the vocabulary among them
            x = torch.randint(0, f["vocab"], (b, s) if f["batch_first"] else (s, b), dtype=torch.int64)
            x.view(-1)[0], x.view(-1)[-1] = 0, f["vocab"] - 1
        else:
            x = torch.randn(*((b, s, I) if f["batch_first"] else (s, b, I)), dtype=torch.float32)
            if f["input_scale"] is not None:
                x = x * f["input_scale"]
        feeds = [x]
        if f["states"]:
            feeds.append(torch.randn(f["layers"] * D, b, H, dtype=torch.float32))  # h0
            feeds.append(torch.randn(f["layers"] * D, b, H, dtype=torch.float32))  # c0
        case_inputs.append(feeds)

    in_names = ["x"] + (["h0", "c0"] if f["states"] else [])
    in_roles = ["token_ids" if f["vocab"] else "sequence"] + (["initial_h", "initial_c"] if f["states"] else [])
    in_files = ["input"] + (["h0", "c0"] if f["states"] else [])
    out_names = ["y"] + (["h_n", "c_n"] if f["states"] else [])
    out_roles = ["last_step" if f["head"] in ONE_ROW_HEADS else "sequence"] + \
        (["final_h", "final_c"] if f["states"] else [])
    out_files = ["expected"] + (["expected_hn", "expected_cn"] if f["states"] else [])

    onnx_path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, tuple(case_inputs[0]), onnx_path,
            input_names=in_names, output_names=out_names,
            opset_version=f["opset"],
            dynamic_axes=io_dynamic_axes(f) if f["dynamic"] else None,
            do_constant_folding=True,
        )
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    if [vi.name for vi in m.graph.input] != in_names or [vi.name for vi in m.graph.output] != out_names:
        raise AssertionError(f"{f['name']}: graph io {[vi.name for vi in m.graph.input]} -> "
                             f"{[vi.name for vi in m.graph.output]}")

    cases = []
    max_err = 0.0
    for ci, feeds in enumerate(case_inputs):
        suffix = "" if ci == 0 else f"_{ci + 1}"
        with torch.no_grad():
            outs = model(*feeds)
        if f["states"]:
            outs = [outs[0], outs[1][0], outs[1][1]]
        else:
            outs = [outs]
        outs = [o.detach().numpy().astype(np.float32) for o in outs]
        ins = [t.numpy() if t.dtype == torch.int64 else t.numpy().astype(np.float32) for t in feeds]
        io = {"inputs": [], "outputs": []}
        for name, role, stem, arr in zip(in_names, in_roles, in_files, ins):
            save_npy(os.path.join(d, f"{stem}{suffix}.npy"), arr)
            io["inputs"].append({"name": name, "file": f"{stem}{suffix}.npy", "role": role,
                                 "shape": list(arr.shape)})
        for name, role, stem, arr in zip(out_names, out_roles, out_files, outs):
            save_npy(os.path.join(d, f"{stem}{suffix}.npy"), arr)
            io["outputs"].append({"name": name, "file": f"{stem}{suffix}.npy", "role": role,
                                  "shape": list(arr.shape)})
        # The declared graph shapes must agree with the real ones (static dims only).
        for vi, arr in list(zip(m.graph.input, ins)) + list(zip(m.graph.output, outs)):
            decl = _declared_shape(vi)
            if len(decl) != arr.ndim or any(dd is not None and dd != a for dd, a in zip(decl, arr.shape)):
                raise AssertionError(f"{f['name']} case {ci}: {vi.name} declared {decl}, actual {arr.shape}")
        # Cross-check every output with the NumPy ONNX interpreter.
        refs = onnx_numpy_ref.run(m, dict(zip(in_names, ins)))
        for name, r, y in zip(out_names, refs, outs):
            if r.shape != y.shape:
                raise AssertionError(f"{f['name']} case {ci} {name}: ref shape {r.shape} != torch {y.shape}")
            err = float(np.max(np.abs(r.astype(np.float64) - y.astype(np.float64))))
            max_err = max(max_err, err)
            if err > 1e-5:
                raise AssertionError(f"{f['name']} case {ci} {name}: numpy-ref vs torch max abs err {err}")
        cases.append({"input": f"input{suffix}.npy", "expected": f"expected{suffix}.npy",
                      "shape": list(ins[0].shape), "output_shape": list(outs[0].shape), "io": io})

    entry = {
        "name": f["name"],
        "description": f["description"],
        "opset": f["opset"],
        "input_name": "x",
        "output_name": "y",
        "cases": cases,
        "dynamic": f["dynamic"],
        "bias": True,
        "layers": f["layers"],
        "input_size": f["input_size"],
        "hidden_size": f["hidden_size"],
        "output_size": f["output_size"],
        "head_kind": IO_HEAD_KIND[f["head"]],
        "seed": f["seed"],
        "bidirectional": f["bidirectional"],
        "batch_first": f["batch_first"],
        "num_directions": D,
    }
    if f["input_scale"] is not None:
        entry["input_scale"] = f["input_scale"]
    if f["vocab"]:
        entry["vocab"] = f["vocab"]
    if f["chain"]:
        entry["head_chain"] = [i if isinstance(i, str) else f"{i[0]}({i[1]})" for i in f["chain"]]
    if f["train"]:
        entry["training"] = dict(f["train"], optimizer="Adam", task="sine next-value, MSE",
                                 dt=SINE_DT, phases=list(SINE_PHASES),
                                 first_loss=train_losses[0], final_loss=train_losses[1])
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
    for f in IO_FIXTURES:
        entry, m, err = make_io_fixture(f)
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
