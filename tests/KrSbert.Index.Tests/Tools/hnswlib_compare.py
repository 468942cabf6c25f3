#!/usr/bin/python3
"""Builds hnswlib on the vectors `krsbert bench index --export FILE` wrote and prints what that command
prints for USearch: build time, recall@10 and single-threaded queries/s at the same ef_search values,
against the same exact top-10.

    apt-get install -y python3-hnswlib
    dotnet run --project src/KrSbert.Cli -c Release -- bench index --export /tmp/vectors.bin
    /usr/bin/python3 tests/KrSbert.Index.Tests/Tools/hnswlib_compare.py /tmp/vectors.bin

Queries go one at a time (a Python loop over knn_query) like the C# loop over Search, and also as one
batch on one thread, which leaves out Python's per-call cost. "per CPU s" divides by the process's
processor time rather than the wall clock, as the C# side does: other load on the machine inflates the
wall clock, not that. Memory is the process's resident set growth over the build, per vector.
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


def rss_bytes():
    """Resident set size of this process, as `krsbert bench index` measures its own."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def recall(truth, labels):
    return np.mean([len(set(t) & set(l)) / len(t) for t, l in zip(truth, labels)])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", help="file written by `krsbert bench index --export`")
    parser.add_argument("--threads", type=int, default=0, help="build threads (default: as the C# build)")
    parser.add_argument("--repeat", type=int, default=1, help="times each ef_search pass runs; the best queries/s is reported")
    args = parser.parse_args()

    data = read_export(args.export)
    threads = args.threads or data["threads"]
    count, dims, k = data["count"], data["dims"], data["k"]
    print(f"cpu: {cpu_description()}; {os.cpu_count()} logical cores")
    print(f"hnswlib {getattr(hnswlib, '__version__', '(version unknown)')}, numpy {np.__version__}; "
          f"{count} x {dims}, {len(data['queries'])} queries, space {SPACES[data['metric']]}, "
          f"M {data['m']}, ef_construction {data['ef_construction']}")

    labels_in = np.arange(count)
    rss_before = rss_bytes()
    index = hnswlib.Index(space=SPACES[data["metric"]], dim=dims)
    index.init_index(max_elements=count, ef_construction=data["ef_construction"], M=data["m"], random_seed=100)
    start = time.perf_counter()
    cpu_start = time.process_time()
    index.add_items(data["vectors"], labels_in, num_threads=threads)
    build = time.perf_counter() - start
    build_cpu = time.process_time() - cpu_start
    rss_growth = rss_bytes() - rss_before
    print(f"build: {build:.1f} s on {threads} threads ({count / build:.0f} vectors/s), {build_cpu:.1f} s of processor time")
    print(f"memory: RSS growth {rss_growth / 1048576:.1f} MiB over the build, {rss_growth / count:.0f} bytes/vector "
          f"(raw f32 vector: {dims * 4})")

    queries = data["queries"]
    print(f"ef_search  recall@10  queries/s (one at a time)  queries/s (one batch, one thread)  per CPU s (batch)  [best of {args.repeat}]")
    for ef in data["ef_values"]:
        index.set_ef(max(ef, k))
        index.knn_query(queries[:50], k=k, num_threads=1)
        single = batch = batch_cpu = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            labels = [index.knn_query(q, k=k, num_threads=1)[0][0] for q in queries]
            single = min(single, time.perf_counter() - start)
            start = time.perf_counter()
            cpu_start = time.process_time()
            batch_labels, _ = index.knn_query(queries, k=k, num_threads=1)
            batch = min(batch, time.perf_counter() - start)
            batch_cpu = min(batch_cpu, time.process_time() - cpu_start)
        r = recall(data["truth"], labels)
        assert abs(r - recall(data["truth"], batch_labels)) < 1e-9
        print(f"{ef:9}  {r:9.4f}  {len(queries) / single:25.0f}  {len(queries) / batch:33.0f}  {len(queries) / batch_cpu:17.0f}")

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
