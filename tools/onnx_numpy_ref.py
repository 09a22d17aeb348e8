"""A tiny NumPy interpreter for the ONNX ops that PyTorch's LSTM exports use.

Used by tools/make_fixtures.py to cross-check that the exported graph (as
written to model.onnx) reproduces PyTorch's output, i.e. that the ONNX
semantics we rely on (LSTM gate order i,o,f,c; B = [Wb | Rb]; Y layout
[seq, num_directions, batch, hidden]; direction forward/reverse/bidirectional
with direction 1 of a bidirectional LSTM running backwards in time;
initial_h/initial_c and the Y_h/Y_c outputs; Squeeze/Reshape/Gemm, Transpose,
Gather, Slice, Concat etc.) are right.
onnx 1.12 has no onnx.reference module, and onnxruntime is not installed.

Only what the fixtures need is implemented; unknown ops raise.
"""

import math

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm(inputs, at):
    """ONNX LSTM (opset 7/14): directions forward/reverse/bidirectional, optional
    B, initial_h, initial_c, layout 0 or 1; returns [Y, Y_h, Y_c]."""
    X, W, R = inputs[0], inputs[1], inputs[2]
    B = inputs[3] if len(inputs) > 3 and inputs[3] is not None else None
    seq_lens = inputs[4] if len(inputs) > 4 else None
    init_h = inputs[5] if len(inputs) > 5 else None
    init_c = inputs[6] if len(inputs) > 6 else None
    P = inputs[7] if len(inputs) > 7 else None
    if seq_lens is not None:
        raise NotImplementedError("LSTM sequence_lens")
    if P is not None:
        raise NotImplementedError("LSTM peepholes")
    direction = at.get("direction", b"forward")
    if isinstance(direction, bytes):
        direction = direction.decode()
    if direction not in ("forward", "reverse", "bidirectional"):
        raise ValueError("LSTM direction " + direction)
    layout = at.get("layout", 0)
    if "activations" in at or "clip" in at or at.get("input_forget", 0):
        raise NotImplementedError("LSTM activations/clip/input_forget")
    H = int(at["hidden_size"])
    D = 2 if direction == "bidirectional" else 1
    if layout == 1:  # X [batch, seq, in], initial states [batch, D, H]
        X = np.transpose(X, (1, 0, 2))
        init_h = None if init_h is None else np.transpose(init_h, (1, 0, 2))
        init_c = None if init_c is None else np.transpose(init_c, (1, 0, 2))
    elif layout != 0:
        raise ValueError("LSTM layout %r" % layout)
    X = X.astype(np.float64)
    seq, batch, _ = X.shape
    if W.shape[0] != D or R.shape[0] != D or (B is not None and B.shape[0] != D):
        raise ValueError("LSTM num_directions mismatch: W %s R %s B %s for %s"
                         % (W.shape, R.shape, None if B is None else B.shape, direction))
    for name, st in (("initial_h", init_h), ("initial_c", init_c)):
        if st is not None and st.shape != (D, batch, H):
            raise ValueError("LSTM %s shape %s, expected %s" % (name, st.shape, (D, batch, H)))
    Y = np.zeros((seq, D, batch, H))
    Yh = np.zeros((D, batch, H))
    Yc = np.zeros((D, batch, H))
    for d in range(D):
        reverse = direction == "reverse" or d == 1
        Wd = W[d].astype(np.float64)  # [4H, I]   gates i, o, f, c
        Rd = R[d].astype(np.float64)  # [4H, H]
        if B is not None:
            b = B[d, :4 * H].astype(np.float64) + B[d, 4 * H:].astype(np.float64)
        else:
            b = np.zeros(4 * H)
        h = np.zeros((batch, H)) if init_h is None else init_h[d].astype(np.float64)
        c = np.zeros((batch, H)) if init_c is None else init_c[d].astype(np.float64)
        for t in (range(seq - 1, -1, -1) if reverse else range(seq)):
            g = X[t] @ Wd.T + h @ Rd.T + b
            i = _sigmoid(g[:, 0:H])
            o = _sigmoid(g[:, H:2 * H])
            f = _sigmoid(g[:, 2 * H:3 * H])
            cc = np.tanh(g[:, 3 * H:4 * H])
            c = f * c + i * cc
            h = o * np.tanh(c)
            Y[t, d] = h
        Yh[d] = h
        Yc[d] = c
    if layout == 1:  # Y [batch, seq, D, H], Y_h/Y_c [batch, D, H]
        Y = np.transpose(Y, (2, 0, 1, 3))
        Yh = np.transpose(Yh, (1, 0, 2))
        Yc = np.transpose(Yc, (1, 0, 2))
    return [Y.astype(np.float32), Yh.astype(np.float32), Yc.astype(np.float32)]


def _axes(inputs, at, idx):
    if "axes" in at:
        return list(at["axes"])
    if len(inputs) > idx and inputs[idx] is not None:
        return [int(a) for a in inputs[idx]]
    return None


def _run_node(node, inputs):
    op = node.op_type
    at = _attrs(node)
    if op == "LSTM":
        return _lstm(inputs, at)
    if op == "Constant":
        return [numpy_helper.to_array(at["value"])]
    if op == "Identity":
        return [inputs[0]]
    if op == "Squeeze":
        axes = _axes(inputs, at, 1)
        x = inputs[0]
        if axes is None:
            return [np.squeeze(x)]
        return [np.squeeze(x, axis=tuple(a % x.ndim for a in axes))]
    if op == "Unsqueeze":
        axes = _axes(inputs, at, 1)
        x = inputs[0]
        nd = x.ndim + len(axes)
        for a in sorted(a % nd for a in axes):
            x = np.expand_dims(x, a)
        return [x]
    if op == "Reshape":
        x, shape = inputs[0], [int(s) for s in inputs[1]]
        allowzero = at.get("allowzero", 0)
        if not allowzero:
            shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Gemm":
        A, Bm = inputs[0], inputs[1]
        C = inputs[2] if len(inputs) > 2 else None
        if at.get("transA", 0):
            A = A.T
        if at.get("transB", 0):
            Bm = Bm.T
        y = at.get("alpha", 1.0) * (A.astype(np.float64) @ Bm.astype(np.float64))
        if C is not None:
            y = y + at.get("beta", 1.0) * C
        return [y.astype(np.float32)]
    if op == "MatMul":
        return [(inputs[0].astype(np.float64) @ inputs[1].astype(np.float64)).astype(np.float32)]
    if op == "Add":
        return [(inputs[0] + inputs[1]).astype(np.result_type(inputs[0], inputs[1]))]
    if op == "Sub":
        return [inputs[0] - inputs[1]]
    if op == "Mul":
        return [inputs[0] * inputs[1]]
    if op == "Div":
        a, b = inputs
        if np.issubdtype(a.dtype, np.integer):
            return [a // b]
        return [a / b]
    if op == "Shape":
        return [np.array(inputs[0].shape, dtype=np.int64)]
    if op == "Gather":
        axis = at.get("axis", 0)
        return [np.take(inputs[0], inputs[1], axis=axis)]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(i) for i in inputs], axis=at["axis"])]
    if op == "ConstantOfShape":
        val = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [np.full([int(s) for s in inputs[0]], val.reshape(-1)[0], dtype=val.dtype)]
    if op == "Expand":
        x, shape = inputs[0], [int(s) for s in inputs[1]]
        return [x * np.ones(shape, dtype=x.dtype)]
    if op == "Cast":
        to = at["to"]
        return [inputs[0].astype(onnx.helper.tensor_dtype_to_np_dtype(to))]
    if op == "Transpose":
        return [np.transpose(inputs[0], at.get("perm"))]
    if op == "Slice":
        x = inputs[0]
        if "starts" in at:  # opset < 10
            starts, ends = at["starts"], at["ends"]
            axes = at.get("axes", list(range(len(starts))))
            steps = [1] * len(starts)
        else:
            starts, ends = list(inputs[1]), list(inputs[2])
            axes = list(inputs[3]) if len(inputs) > 3 and inputs[3] is not None else list(range(len(starts)))
            steps = list(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            sl[int(a)] = slice(int(s), int(e), int(st))
        return [x[tuple(sl)]]
    # The head's operations (issue 17), in float64 and rounded once like the LSTM.
    x64 = inputs[0].astype(np.float64) if inputs and inputs[0] is not None and inputs[0].dtype == np.float32 else None
    if op == "Relu":
        return [np.maximum(x64, 0).astype(np.float32)]
    if op == "LeakyRelu":
        return [np.where(x64 >= 0, x64, at.get("alpha", 0.01) * x64).astype(np.float32)]
    if op == "Tanh":
        return [np.tanh(x64).astype(np.float32)]
    if op == "Sigmoid":
        return [(1 / (1 + np.exp(-x64))).astype(np.float32)]
    if op == "Elu":
        return [np.where(x64 >= 0, x64, at.get("alpha", 1.0) * np.expm1(x64)).astype(np.float32)]
    if op == "Softplus":
        return [np.log1p(np.exp(x64)).astype(np.float32)]
    if op == "Erf":
        return [np.vectorize(math.erf)(x64).astype(np.float32)]
    if op == "Pow":
        return [np.power(x64, inputs[1].astype(np.float64)).astype(np.float32)]
    if op == "Sqrt":
        return [np.sqrt(x64).astype(np.float32)]
    if op == "ReduceMean":
        axes = _axes(inputs, at, 1)
        keep = bool(at.get("keepdims", 1))
        return [np.mean(x64, axis=tuple(axes) if axes is not None else None, keepdims=keep).astype(np.float32)]
    if op == "ReduceMax":
        axes = _axes(inputs, at, 1)
        keep = bool(at.get("keepdims", 1))
        return [np.max(x64, axis=tuple(axes) if axes is not None else None, keepdims=keep).astype(np.float32)]
    if op in ("Softmax", "LogSoftmax"):
        axis = at.get("axis", -1)
        e = np.exp(x64 - np.max(x64, axis=axis, keepdims=True))
        s = np.sum(e, axis=axis, keepdims=True)
        return [(e / s if op == "Softmax" else np.log(e / s)).astype(np.float32)]
    if op == "LayerNormalization":
        axis = at.get("axis", -1)
        mean = np.mean(x64, axis=axis, keepdims=True)
        var = np.mean((x64 - mean) ** 2, axis=axis, keepdims=True)
        y = (x64 - mean) / np.sqrt(var + at.get("epsilon", 1e-5)) * inputs[1]
        if len(inputs) > 2 and inputs[2] is not None:
            y = y + inputs[2]
        return [y.astype(np.float32)]
    raise NotImplementedError("op " + op)


def run(model, feeds):
    g = model.graph
    env = {}
    for t in g.initializer:
        env[t.name] = numpy_helper.to_array(t)
    env.update(feeds)
    env[""] = None
    for node in g.node:
        ins = [env[n] if n else None for n in node.input]
        outs = _run_node(node, ins)
        for name, v in zip(node.output, outs):
            if name:
                env[name] = v
    return [env[o.name] for o in g.output]
