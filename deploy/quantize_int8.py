#!/usr/bin/env python3
"""Write model.int8.onnx from a BERT model.onnx with the onnx package alone (Debian: python3-onnx python3-numpy).

The recipe, the same as onnxruntime.quantization.quantize_dynamic(per_channel=True, reduce_range=True,
weight_type=QInt8, op_types_to_quantize=["MatMul"], MatMulConstBOnly) with the FFN down-projections excluded:

- every MatMul whose second input is a 2-D float initializer [K, N] gets int8 weights, symmetric (zero point 0),
  one scale per output column; reduced range is ONNX Runtime's: q in [-64, 64], scale = max|w| / 64 (its
  get_qmin_qmax_for_qType gives (-64, 64) for symmetric int8 with reduce_range), so this file and
  `export_model.py --int8-quantizer ort` write the same weights. 255 * 64 * 2 still fits the 16-bit sums of AVX2's
  u8s8 kernels, which is what reduced range is for;
- activations are quantised at run time, uint8, per tensor (DynamicQuantizeLinear), once per distinct input, so
  Q, K and V share one quantisation of their input;
- the FFN down-projections (weights with more rows than columns, K > N) stay fp32, as do the attention MatMuls of
  two activations and every Gather (embeddings);
- the graph is what ONNX Runtime's quantiser writes: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scale),
  bias Adds untouched. ONNX Runtime fuses it at load into com.microsoft DynamicQuantizeMatMul / MatMulIntegerToFloat;
  only standard ONNX operators are written, so onnx.checker checks the result.

Usage:
    python3 deploy/quantize_int8.py models/kr-sbert/model.onnx models/kr-sbert/model.int8.onnx [--report q.json]
Options for measurements only (they are not the recipe): --full-range (weights in [-127, 127]),
--quantize-down-projections.
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REDUCED_RANGE = 64  # ONNX Runtime's reduced symmetric int8 range is [-64, 64]
FULL_RANGE = 127


def quantize_columns(w, qmax):
    """w: float [K, N] -> (int8 [K, N], float32 scale [N]); symmetric, one scale per output column."""
    absmax = np.max(np.abs(w), axis=0).astype(np.float32)
    # ONNX Runtime computes scale = (rmax - rmin) / (qmax - qmin) = 2 max|w| / (2 qmax); 1.0 for an all-zero column.
    scale = np.where(absmax > 0, absmax / np.float32(qmax), np.float32(1.0)).astype(np.float32)
    q = np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int8)
    return q, scale


def is_down_projection(shape):
    return shape[0] > shape[1]


def quantize(model, qmax=REDUCED_RANGE, keep_down_projections=True):
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    used = {t.name for t in graph.initializer} | {i.name for i in graph.input}
    for n in graph.node:
        used.update(n.output)
        used.update(n.input)

    def unique(name):
        base, i = name, 0
        while name in used:
            i += 1
            name = f"{base}_{i}"
        used.add(name)
        return name

    new_inits = []
    activation = {}  # input name -> (quantized, scale, zero point) from its one DynamicQuantizeLinear
    weight = {}  # weight name -> (quantized, scale, zero point), shared when one weight feeds several MatMuls
    nodes, report = [], {"quantized": [], "kept_fp32": []}
    for node in graph.node:
        w_init = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w_init is None or w_init.data_type != TensorProto.FLOAT or len(w_init.dims) != 2:
            nodes.append(node)
            continue
        shape = list(w_init.dims)
        if keep_down_projections and is_down_projection(shape):
            report["kept_fp32"].append({"node": node.name, "shape": shape})
            nodes.append(node)
            continue
        a, w_name = node.input
        if w_name not in weight:
            q, scale = quantize_columns(numpy_helper.to_array(w_init).astype(np.float32), qmax)
            names = (unique(w_name + "_quantized"), unique(w_name + "_scale"), unique(w_name + "_zero_point"))
            new_inits += [numpy_helper.from_array(q, names[0]), numpy_helper.from_array(scale, names[1]),
                          numpy_helper.from_array(np.zeros(shape[1], dtype=np.int8), names[2])]
            weight[w_name] = names
        if a not in activation:
            activation[a] = (unique(a + "_quantized"), unique(a + "_scale"), unique(a + "_zero_point"))
            nodes.append(helper.make_node("DynamicQuantizeLinear", [a], list(activation[a]), name=unique(a + "_QuantizeLinear")))
        aq, a_scale, a_zp = activation[a]
        wq, w_scale, w_zp = weight[w_name]
        name = node.name or unique("MatMul")
        integer, as_float, scales = unique(node.output[0] + "_output_quantized"), unique(node.output[0] + "_cast_output"), unique(name + "_scales_mul:0")
        nodes += [
            helper.make_node("MatMulInteger", [aq, wq, a_zp, w_zp], [integer], name=unique(name + "_quant")),
            helper.make_node("Cast", [integer], [as_float], name=unique(name + "_cast"), to=TensorProto.FLOAT),
            helper.make_node("Mul", [a_scale, w_scale], [scales], name=unique(name + "_scales_mul")),
            helper.make_node("Mul", [as_float, scales], [node.output[0]], name=unique(name + "_output_scale_mul")),
        ]
        report["quantized"].append({"node": node.name, "shape": shape})

    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    still_used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    keep = [t for t in graph.initializer if t.name in still_used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    if any(o.domain in ("", "ai.onnx") and o.version < 11 for o in model.opset_import):
        raise SystemExit("DynamicQuantizeLinear needs opset 11 or later; export with --opset 14")
    return report


def check(path, qmax):
    """Reads the written file back: every quantised weight within [-qmax, qmax], zero points 0, one scale per column."""
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    peak, matmuls = 0, 0
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        matmuls += 1
        q = numpy_helper.to_array(inits[node.input[1]])
        zp = numpy_helper.to_array(inits[node.input[3]])
        if q.dtype != np.int8 or zp.dtype != np.int8 or np.any(zp != 0) or zp.shape != (q.shape[1],):
            raise SystemExit(f"{node.name}: weights must be int8 with one zero point 0 per column")
        peak = max(peak, int(np.max(np.abs(q))))
    if peak > qmax:
        raise SystemExit(f"a quantised weight reaches {peak}, outside [-{qmax}, {qmax}]")
    onnx.checker.check_model(model)
    return {"matmul_integer": matmuls, "largest_abs_weight": peak, "onnx_checker": "ok"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--report", help="write a JSON report here")
    ap.add_argument("--full-range", action="store_true", help="weights in [-127, 127] (not the recipe: AVX2 and VNNI machines then disagree)")
    ap.add_argument("--quantize-down-projections", action="store_true", help="quantise the FFN down-projections too (not the recipe)")
    a = ap.parse_args()

    qmax = FULL_RANGE if a.full_range else REDUCED_RANGE
    model = onnx.load(a.input)
    before = collections.Counter(n.op_type for n in model.graph.node)
    report = quantize(model, qmax, keep_down_projections=not a.quantize_down_projections)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)) or ".", exist_ok=True)
    onnx.save(model, a.output)
    summary = {
        "input": os.path.basename(a.input), "weights": f"int8 symmetric per column [-{qmax}, {qmax}]",
        "matmuls_quantized": len(report["quantized"]), "down_projections_kept_fp32": len(report["kept_fp32"]),
        **check(a.output, qmax),
        "ops_before": dict(sorted(before.items())),
        "ops_after": dict(sorted(collections.Counter(n.op_type for n in model.graph.node).items())),
        "bytes_in": os.path.getsize(a.input), "bytes_out": os.path.getsize(a.output),
    }
    if a.report:
        with open(a.report, "w") as f:
            json.dump({**summary, **report}, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if not k.startswith("ops_")}))


if __name__ == "__main__":
    sys.exit(main())
