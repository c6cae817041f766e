#!/usr/bin/python3
"""Python oracle for the C++ proxies (run with /usr/bin/python3: needs torch + numpy).

Scores:
  oracle.py spec.json [-o out.json] [--threads T]
spec.json:
  {"archs": ["|nor_conv_3x3~0|+|...|", ...],
   "seed_per_arch": {"<arch>": 42, ...},          # torch.manual_seed before building each net
   "num_classes": 10,
   "batch_inputs": "x.f32",  "batch_labels": "y.i64",   # raw little-endian float32 (N,3,32,32) / int64 (N)
   "N": 64,
   "proxies": ["wrcor", "synflow", "jacov", "nwot", "snip", "epsilon"],
   "head_quirk": true,                             # lastact ReLU in-place (WRCor reference quirk)
   "epsilon_bn": "batch",                          # optional: "batch" (default) | "eval"
   "relu_hooks": "name"}                           # optional, wrcor/nwot: "name" (default) | "relu"
"relu_hooks": "name" is the reference rule ('ReLU' in the type name: every ReLU AND every
ReLUConvBN wrapper is hooked); "relu" hooks nn.ReLU modules only.  See proxies._is_relu.
Relative paths in the spec are taken relative to the spec file.
Output: {"<arch>": {"<proxy>": score, ...}, ...}.  Non-finite scores are written as the
strings "NaN", "Infinity", "-Infinity" (strict JSON has no literal for them).

Timing (reference-way Python harness baseline, SJW = synflow + jacov + wrcor):
  oracle.py spec.json --time [--threads T] [--limit 10]
For every arch: manual_seed + build, then each proxy on its own deepcopy with its own passes,
as predictive.find_measures does (minus the data loader: the batch is already in memory).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb201_net import build  # noqa: E402
from proxies import PROXIES, epsilon  # noqa: E402

SJW = ("synflow", "jacov", "wrcor")


def load_spec(path):
    with open(path) as f:
        spec = json.load(f)
    base = os.path.dirname(os.path.abspath(path))
    n = int(spec["N"])
    xi = os.path.join(base, spec["batch_inputs"])
    yi = os.path.join(base, spec["batch_labels"])
    x = np.fromfile(xi, dtype="<f4")
    y = np.fromfile(yi, dtype="<i8")
    if x.size != n * 3 * 32 * 32 or y.size != n:
        raise SystemExit(f"batch size mismatch: {x.size} floats, {y.size} labels, N={n}")
    spec["_x"] = torch.from_numpy(x.reshape(n, 3, 32, 32).astype(np.float32))
    spec["_y"] = torch.from_numpy(y.astype(np.int64))
    return spec


def json_num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def make_net(spec, arch):
    return build(arch, int(spec["seed_per_arch"][arch]), int(spec.get("num_classes", 10)),
                 head_inplace=bool(spec.get("head_quirk", True)))


def run_proxy(name, net, spec):
    x, y = spec["_x"], spec["_y"]
    if name == "epsilon":
        return epsilon(net, x, y, bn_mode=spec.get("epsilon_bn", "batch"))
    if name in ("wrcor", "nwot"):
        return PROXIES[name](net, x, y, match=spec.get("relu_hooks", "name"))
    return PROXIES[name](net, x, y)


def score_all(spec):
    res = {}
    for arch in spec["archs"]:
        net = make_net(spec, arch)
        res[arch] = {p: json_num(run_proxy(p, net, spec)) for p in spec["proxies"]}
    return res


def time_sjw(spec, limit):
    archs = spec["archs"][:limit] if limit else spec["archs"]
    per = {"build": 0.0, **{p: 0.0 for p in SJW}}
    warm = make_net(spec, archs[0])  # warm-up (first-call allocator/threadpool costs)
    for p in SJW:
        run_proxy(p, warm, spec)
    t_all = time.perf_counter()
    for arch in archs:
        t = time.perf_counter()
        net = make_net(spec, arch)
        per["build"] += time.perf_counter() - t
        for p in SJW:  # each on its own deepcopy inside the proxy function
            t = time.perf_counter()
            run_proxy(p, net, spec)
            per[p] += time.perf_counter() - t
    total = time.perf_counter() - t_all
    n = len(archs)
    return {"threads": torch.get_num_threads(), "cells": n, "N": int(spec["N"]),
            "sec_per_cell": total / n, **{f"{k}_sec_per_cell": v / n for k, v in per.items()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec")
    ap.add_argument("-o", "--out", help="write JSON here instead of stdout")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--time", action="store_true", help="time the SJW set per cell")
    ap.add_argument("--limit", type=int, default=0, help="--time: only the first LIMIT archs")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    spec = load_spec(a.spec)
    res = time_sjw(spec, a.limit) if a.time else score_all(spec)
    text = json.dumps(res, indent=1, allow_nan=False)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
