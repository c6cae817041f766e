#!/usr/bin/env python3
"""Builds nb201_proxies_1000.md from the correlation.json files of a run of
configs/nb201_proxies_1000.yaml (one per ground-truth column), beside the published figures
(zero-cost-nas, NAS-Bench-Suite-Zero, epsinas and SWAP; cited in the table). Usage:
  make_results.py C10.json C100.json IN16.json > nb201_proxies_1000.md
"""
import json
import sys

# Published Spearman figures (|rho| where the source reports absolute values).
# zc: Abdelfattah et al., all 15,625 cells, |rho| vs test accuracy (C10 = cifar10-valid test).
# sz: NAS-Bench-Suite-Zero precomputed scores vs test accuracy (C10/IN16: 9,445 cells,
#     C100: ~725), signed.  eps: epsinas notebook, C10 test.  swap: SWAP abstract, C100 val.
PUBLISHED = {
    "grad_norm": {"zc": (0.594, 0.637, 0.578), "sz": (0.600, 0.65, 0.543)},
    "snip": {"zc": (0.596, 0.637, 0.578), "sz": (0.603, 0.66, 0.542)},
    "grasp": {"zc": (0.514, 0.547, 0.549), "sz": (0.537, 0.55, 0.523)},
    "fisher": {"zc": (0.360, 0.385, 0.327), "sz": (0.552, 0.55, 0.485)},
    "synflow": {"zc": (0.737, 0.763, 0.751), "sz": (0.778, 0.77, 0.728)},
    "jacov": {"zc": (0.731, 0.704, 0.701), "sz": (0.799, 0.73, 0.785)},
    "nwot": {"sz": (0.811, 0.82, 0.797)},
    "params": {"sz": (0.799, 0.74, 0.718)},
    "flops": {"sz": (0.770, 0.72, 0.690)},
    "pnorm": {"sz": (0.746, 0.75, 0.739)},
    "zen": {"sz": (0.114, None, 0.110)},
    "plain": {"sz": (-0.352, -0.27, -0.341)},
    "epsilon": {"eps": (0.87, None, None)},
    "reg_swap": {"swap": (None, 0.90, None)},
}


def fmt(v, signed=True):
    if v is None:
        return ""
    return f"{v:+.3f}" if signed else f"{v:.3f}"


def main(paths):
    reports = [json.load(open(p)) for p in paths]
    names = [row["name"] for row in reports[0]["proxies"]]
    by = [{row["name"]: row for row in r["proxies"]} for r in reports]
    cols = [r["column"] for r in reports]
    out = []
    out.append("| proxy / vote | pairs | " + " | ".join(
        f"Spearman {c} | Kendall {c}" for c in cols) + " | published Spearman (C10 / C100 / IN16) |")
    out.append("|---|---:|" + "---:|---:|" * len(cols) + "---|")
    for n in names:
        cells = []
        for b in by:
            row = b.get(n, {})
            cells += [fmt(row.get("spearman")), fmt(row.get("kendall"))]
        pub = PUBLISHED.get(n, {})
        pub_text = "; ".join(
            f"{src}: " + " / ".join(fmt(v, False) if v is not None else "–" for v in vals)
            for src, vals in pub.items())
        pairs = by[0].get(n, {}).get("pairs", "")
        held = " (held-out)" if by[0].get(n, {}).get("held_out_only") else ""
        out.append(f"| {n}{held} | {pairs} | " + " | ".join(cells) + f" | {pub_text} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
