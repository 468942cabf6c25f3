#!/usr/bin/python3
"""Builds hnswlib on the vectors `krsbert bench index --export FILE` wrote and prints what that command
prints for USearch: build time, recall@10 and single-threaded queries/s at the same ef_search values,
against the same exact top-10.

    apt-get install -y python3-hnswlib
    dotnet run --project src/KrSbert.Cli -c Release -- bench index --export /tmp/vectors.bin
    /usr/bin/python3 tests/KrSbert.Index.Tests/Tools/hnswlib_compare.py /tmp/vectors.bin

Queries go one at a time (a Python loop over knn_query) like the C# loop over Search, and also as one
batch on one thread, which leaves out Python's per-call cost.
"""
import argparse
import os
import platform
import sys
import time

import hnswlib
import numpy as np

SPACES = {0: "cosine", 1: "ip", 2: "l2"}


def read_export(path):
    with open(path, "rb") as f:
        magic = f.read(8)
        if magic != b"KRSBVEC1":
            sys.exit(f"{path}: not a `krsbert bench index --export` file")
        count, dims, queries, k, m, ef_construction, metric, threads, ef_count = np.fromfile(f, "<i4", 9)
        ef_values = np.fromfile(f, "<i4", ef_count).tolist()
        vectors = np.fromfile(f, "<f4", count * dims).reshape(count, dims)
        query_vectors = np.fromfile(f, "<f4", queries * dims).reshape(queries, dims)
        truth = np.fromfile(f, "<i8", queries * k).reshape(queries, k)
    return dict(count=int(count), dims=int(dims), k=int(k), m=int(m), ef_construction=int(ef_construction),
                metric=int(metric), threads=int(threads), ef_values=ef_values,
                vectors=vectors, queries=query_vectors, truth=truth)


def cpu_description():
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        name = next(l.split(":", 1)[1].strip() for l in lines if l.startswith("model name"))
        flags = next(l.split(":", 1)[1].split() for l in lines if l.startswith("flags"))
        simd = [x for x in ("avx2", "fma", "f16c", "avx512f", "avx512_fp16", "avx512_vnni", "amx_tile") if x in flags]
        return f"{name} [{' '.join(simd)}]"
    except (OSError, StopIteration):
        return platform.machine()


def recall(truth, labels):
    return np.mean([len(set(t) & set(l)) / len(t) for t, l in zip(truth, labels)])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", help="file written by `krsbert bench index --export`")
    parser.add_argument("--threads", type=int, default=0, help="build threads (default: as the C# build)")
    args = parser.parse_args()

    data = read_export(args.export)
    threads = args.threads or data["threads"]
    count, dims, k = data["count"], data["dims"], data["k"]
    print(f"cpu: {cpu_description()}; {os.cpu_count()} logical cores")
    print(f"hnswlib {getattr(hnswlib, '__version__', '(version unknown)')}, numpy {np.__version__}; "
          f"{count} x {dims}, {len(data['queries'])} queries, space {SPACES[data['metric']]}, "
          f"M {data['m']}, ef_construction {data['ef_construction']}")

    index = hnswlib.Index(space=SPACES[data["metric"]], dim=dims)
    index.init_index(max_elements=count, ef_construction=data["ef_construction"], M=data["m"], random_seed=100)
    start = time.perf_counter()
    index.add_items(data["vectors"], np.arange(count), num_threads=threads)
    build = time.perf_counter() - start
    print(f"build: {build:.1f} s on {threads} threads ({count / build:.0f} vectors/s)")

    queries = data["queries"]
    print("ef_search  recall@10  queries/s (one at a time)  queries/s (one batch, one thread)")
    for ef in data["ef_values"]:
        index.set_ef(max(ef, k))
        index.knn_query(queries[:50], k=k, num_threads=1)
        start = time.perf_counter()
        labels = [index.knn_query(q, k=k, num_threads=1)[0][0] for q in queries]
        single = time.perf_counter() - start
        start = time.perf_counter()
        batch_labels, _ = index.knn_query(queries, k=k, num_threads=1)
        batch = time.perf_counter() - start
        r = recall(data["truth"], labels)
        assert abs(r - recall(data["truth"], batch_labels)) < 1e-9
        print(f"{ef:9}  {r:9.4f}  {len(queries) / single:25.0f}  {len(queries) / batch:33.0f}")

    path = args.export + ".hnswlib"
    start = time.perf_counter()
    index.save_index(path)
    save = time.perf_counter() - start
    size = os.path.getsize(path)
    start = time.perf_counter()
    loaded = hnswlib.Index(space=SPACES[data["metric"]], dim=dims)
    loaded.load_index(path, max_elements=count)
    load = time.perf_counter() - start
    os.remove(path)
    print(f"snapshot: {size / 1048576:.1f} MiB, {size / count:.0f} bytes/vector; save {save:.2f} s (no fsync), load {load:.2f} s")


if __name__ == "__main__":
    main()
