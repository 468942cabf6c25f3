#!/usr/bin/env python3
"""Export a sentence-transformers BERT model to the folder layout KrSbert loads, and write reference
embeddings computed by sentence-transformers itself so `krsbert model verify` can prove the C# engine equal.

Needs internet (the model comes from the Hugging Face hub) and:
    pip install "sentence-transformers>=2.2" "torch>=1.13" "onnx>=1.12" "onnxruntime>=1.17"

Usage:
    python deploy/export_model.py snunlp/KR-SBERT-V40K-klueNLI-augSTS models/kr-sbert
    dotnet run --project src/KrSbert.Cli -- model verify --model models/kr-sbert --reference models/kr-sbert/reference.jsonl
    dotnet run --project src/KrSbert.Cli -- model verify --model models/kr-sbert --compare-int8 sentences.txt

The folder gets what `SentenceTransformer.save` writes (modules.json, sentence_bert_config.json, config.json,
tokenizer files, vocab.txt, 1_Pooling/config.json, a Normalize module where the model has one) plus
`model.onnx`: the transformer alone (inputs input_ids, attention_mask, token_type_ids: int64 [batch, sequence],
dynamic axes; outputs last_hidden_state: float32 [batch, sequence, hidden] and, when the model has BERT's pooler
head, pooler_output: float32 [batch, hidden] = tanh(dense(CLS)), which `krsbert probe` compares with the other
poolings). Pooling runs in C#; the engine ignores pooler_output everywhere else.

`model.int8.onnx` (unless --no-int8): the same graph dynamically quantised, what `--model-precision int8` runs,
written by deploy/quantize_int8.py (the onnx package alone; that file documents the recipe). Weights are int8,
symmetric, one scale per output channel, in ONNX Runtime's reduced range [-64, 64] so that AVX2 machines (whose u8s8
kernels can saturate 16-bit sums) and AVX-512 VNNI machines give the same vectors; activations are quantised at run
time, per tensor and per batch. The FFN down-projections (intermediate -> hidden, the MatMuls whose weight has more
rows than columns) stay fp32: their inputs follow GELU and have the widest range, and quantising them costs the most
fidelity (all-MiniLM-L6-v2 over 2,000 sentences: cosine to fp32 mean 0.9916 -> 0.9956, min 0.971 -> 0.988). `--int8-quantizer ort` writes the same recipe with
onnxruntime.quantization.quantize_dynamic instead, as a cross-check; both write DynamicQuantizeLinear + MatMulInteger.
"""
import argparse
import json
import os
import sys

DEFAULT_SENTENCES = [
    "안녕하세요. 저는 진학사에 다니고 있습니다.",
    "잠이 옵니다",
    "졸음이 옵니다",
    "기차가 옵니다",
    "한 남자가 큰 플루트를 연주하고 있다.",
    "비행기가 이륙하고 있다.",
    "오늘 서울의 날씨는 맑고 기온은 영하 3도입니다. 내일은 눈이 올 것으로 보입니다.",
    "KrSbert는 한국어 문장 임베딩을 위한 검색 서버입니다 (ONNX Runtime, HNSW).",
    "A man is playing a flute.",
    "가" * 300,
]


def export_onnx(model, out_dir, opset):
    import torch

    transformer = model[0].auto_model.eval()
    tokenizer = model.tokenizer
    sample = tokenizer(["안녕하세요", "반갑습니다 여러분"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    inputs = tuple(sample[n] for n in names)

    # BertModel(add_pooling_layer=False) has no pooler; then only the token vectors are exported.
    with_pooler = getattr(transformer, "pooler", None) is not None

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            if with_pooler:
                return out.last_hidden_state, out.pooler_output
            return out.last_hidden_state

    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    output_names = ["last_hidden_state"]
    if with_pooler:
        axes["pooler_output"] = {0: "batch"}
        output_names.append("pooler_output")
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(LastHiddenState(transformer), inputs, path, input_names=names,
                          output_names=output_names, dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    return path


def down_projections(path):
    """Names of the MatMul nodes whose constant weight maps a wider input to a narrower output (FFN down-projections)."""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    shapes = {init.name: list(init.dims) for init in graph.initializer}
    return [node.name for node in graph.node
            if node.op_type == "MatMul" and len(shapes.get(node.input[1], [])) == 2
            and shapes[node.input[1]][0] > shapes[node.input[1]][1]]


def quantize_int8(path, out_path, quantizer):
    """Dynamic int8 quantisation: per-channel symmetric int8 weights, reduced range, FFN down-projections kept fp32."""
    kept = down_projections(path)
    if quantizer == "ort":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # reduce_range gives symmetric int8 weights in [-64, 64], as deploy/quantize_int8.py writes them.
        quantize_dynamic(
            model_input=path,
            model_output=out_path,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=kept,
            extra_options={"WeightSymmetric": True, "MatMulConstBOnly": True},
        )
    else:
        import onnx

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import quantize_int8 as recipe

        model = onnx.load(path)
        recipe.quantize(model, recipe.REDUCED_RANGE, keep_down_projections=True)
        onnx.save(model, out_path)
        recipe.check(out_path, recipe.REDUCED_RANGE)
    return out_path, len(kept)


def write_reference(model, out_path, sentences):
    """One JSON line per sentence: its input_ids and sentence-transformers' vector for every pooling mode."""
    from sentence_transformers import SentenceTransformer, models

    transformer = model[0]
    dim = transformer.get_word_embedding_dimension()
    modes = {
        "cls": dict(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False),
        "max": dict(pooling_mode_max_tokens=True, pooling_mode_mean_tokens=False),
        "mean": dict(pooling_mode_mean_tokens=True),
        "mean_sqrt_len": dict(pooling_mode_mean_sqrt_len_tokens=True, pooling_mode_mean_tokens=False),
    }
    pipelines = {name: SentenceTransformer(modules=[transformer, models.Pooling(dim, **flags)], device="cpu")
                 for name, flags in modes.items()}
    vectors = {name: p.encode(sentences, convert_to_numpy=True, normalize_embeddings=False) for name, p in pipelines.items()}
    vectors["default"] = model.encode(sentences, convert_to_numpy=True)
    with open(out_path, "w", encoding="utf-8") as f:
        for i, text in enumerate(sentences):
            ids = model.tokenize([text])["input_ids"][0].tolist()
            line = {"text": text, "input_ids": ids, "embeddings": {k: [float(x) for x in v[i]] for k, v in vectors.items()}}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="hub id or local sentence-transformers folder, e.g. snunlp/KR-SBERT-V40K-klueNLI-augSTS")
    ap.add_argument("out", help="folder to write (created)")
    ap.add_argument("--sentences", help="text file, one sentence a line, for the reference vectors (default: a built-in Korean set)")
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("--no-int8", action="store_true", help="do not write model.int8.onnx")
    ap.add_argument("--int8-quantizer", choices=["onnx", "ort"], default="onnx",
                    help="deploy/quantize_int8.py (default) or onnxruntime.quantization.quantize_dynamic, same recipe")
    a = ap.parse_args()

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(a.model, device="cpu")
    if type(model[0]).__name__ != "Transformer" or model[0].auto_model.config.model_type != "bert":
        sys.exit("only BERT sentence-transformers models are supported")
    os.makedirs(a.out, exist_ok=True)
    model.save(a.out)
    path = export_onnx(model, a.out, a.opset)
    if not a.no_int8:
        int8_path, kept = quantize_int8(path, os.path.join(a.out, "model.int8.onnx"), a.int8_quantizer)
        print(f"wrote {int8_path} ({kept} FFN down-projections kept fp32)")
    sentences = DEFAULT_SENTENCES
    if a.sentences:
        with open(a.sentences, encoding="utf-8") as f:
            sentences = [line.rstrip("\n") for line in f if line.strip()]
    write_reference(model, os.path.join(a.out, "reference.jsonl"), sentences)
    print(f"wrote {path} and {os.path.join(a.out, 'reference.jsonl')}")


if __name__ == "__main__":
    main()
