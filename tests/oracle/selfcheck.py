#!/usr/bin/python3
"""Quick self-check of the oracle: parameter counts against NB201 v1.0, all proxies finite on
3 cells, and WRCor / NASWOT / JacCov cross-checked against direct numpy computations that do
not use module hooks.  Exit status 1 on any failure.  Run: /usr/bin/python3 selfcheck.py"""
import copy
import csv
import gzip
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb201_net import build, count_params  # noqa: E402
from proxies import PROXIES, epsilon  # noqa: E402

# NAS-Bench-201 v1.0 accuracies and parameter counts; the repository ships them (gzipped).
CSV = os.environ.get(
    "NB201_V10_CSV",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "spaces", "nb201", "data",
                 "accuracies_v1_0.csv.gz"))
CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|",
    "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
]
fails = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        fails.append(msg)


def _instrument(net):
    """Replace the forward of every ReLUConvBN and of the head ReLU (no hooks) so that the
    ReLU input, the ReLU output and the conv output are kept with retain_grad()."""
    net = copy.deepcopy(net).train()
    convs, head = [], []
    for i, cell in enumerate(net.cells):
        for m in cell.modules():
            if type(m).__name__ == "ReLUConvBN":
                def fwd(self, t, w=2.0 ** i):
                    r = F.relu(t)
                    r.retain_grad()
                    c = self.op[1](r)
                    c.retain_grad()
                    convs.append((w, t.detach().clone(), r, c))
                    return self.op[2](c)
                m.forward = types.MethodType(fwd, m)
    relu = net.lastact[1]

    def hfwd(self, t):
        r = F.relu(t)
        r.retain_grad()
        head.append((2.0 ** len(net.cells), t.detach().clone(), r))
        return r
    relu.forward = types.MethodType(hfwd, relu)
    return net, convs, head


def _corr(a):
    """Row (sample) Pearson correlation by hand, float64."""
    a = a.reshape(a.shape[0], -1).astype(np.float64)
    z = a - a.mean(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = z / np.sqrt((z * z).sum(1, keepdims=True))
    return np.clip(z @ z.T, -1, 1)


def direct_wrcor(net, x, y, quirk, match):
    net, convs, head = _instrument(net)
    F.cross_entropy(net(x), y).backward()
    terms = []
    for w, pre, r, c in convs:
        terms += [(w, pre), (w, r.grad * (pre > 0))]
        if match == "name":  # the ReLUConvBN wrapper: same input again, and dL/d(conv out)
            terms += [(w, pre), (w, c.grad)]
    for w, pre, r in head:
        terms += [(w, r.detach() if quirk else pre), (w, r.grad * (pre > 0))]
    K = np.zeros((x.shape[0],) * 2)
    for w, t in terms:
        c = _corr(t.numpy())
        if not np.isnan(c).any():
            K += w * np.abs(c)
    return np.linalg.slogdet(K)[1]


def direct_nwot(net, x, match):
    net, convs, head = _instrument(net)
    net(x)  # with grad: _instrument's retain_grad() needs it
    reps = 2 if match == "name" else 1
    ins = [pre for _, pre, _, _ in convs for _ in range(reps)] + [pre for _, pre, _ in head]
    c = np.concatenate([(t.reshape(t.shape[0], -1) > 0).numpy().astype(np.float64) for t in ins], 1)
    return np.linalg.slogdet(c @ c.T + (1 - c) @ (1 - c).T)[1]


def main():
    # 1. parameter counts vs params_M (CIFAR-10 head)
    with (gzip.open(CSV, "rt") if CSV.endswith(".gz") else open(CSV)) as f:
        rows = list(csv.DictReader(f))
    for r in rows[:5] + [r for r in rows if r["arch"] in CELLS]:
        n = count_params(build(r["arch"], 0, 10))
        check(abs(n - float(r["params_M"]) * 1e6) < 0.6, f"params {n} == {r['params_M']}M  {r['arch']}")

    # 2. same seed -> identical weights
    a, b = build(CELLS[0], 7), build(CELLS[0], 7)
    check(all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values())),
          "manual_seed(7) twice gives identical weights")

    # 3. all proxies on 3 cells with a random batch
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    for arch in CELLS:
        net = build(arch, 42, head_inplace=True)
        before = {k: v.clone() for k, v in net.state_dict().items()}
        s = {p: f(net, x, y) for p, f in PROXIES.items()}
        s["wrcor_relu"] = PROXIES["wrcor"](net, x, y, match="relu")
        s["wrcor_noquirk"] = PROXIES["wrcor"](build(arch, 42, head_inplace=False), x, y)
        s["nwot_relu"] = PROXIES["nwot"](net, x, y, match="relu")
        s["epsilon_eval"] = epsilon(net, x, y, bn_mode="eval")
        print(arch)
        for k, v in s.items():
            print(f"    {k:14s} {v:.10g}")
        check(all(np.isfinite(v) for k, v in s.items() if k != "epsilon_eval"), "all proxies finite")
        check(all(torch.equal(before[k], v) for k, v in net.state_dict().items()),
              "original network untouched (every proxy works on its own copy)")
        for key, quirk, match, n in [("wrcor", True, "name", net), ("wrcor_relu", True, "relu", net),
                                     ("wrcor_noquirk", False, "name", build(arch, 42))]:
            d = direct_wrcor(n, x, y, quirk, match)
            check(abs(d - s[key]) < 1e-8 * max(1, abs(d)), f"{key} hooks {s[key]:.12g} == direct {d:.12g}")
        for key, match in [("nwot", "name"), ("nwot_relu", "relu")]:
            d = direct_nwot(net, x, match)
            check(abs(d - s[key]) < 1e-9 * max(1, abs(d)), f"{key} hooks {s[key]:.12g} == direct {d:.12g}")
    print("FAILED: %d" % len(fails) if fails else "ALL OK")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
