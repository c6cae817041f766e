#!/usr/bin/python3
"""Trainer speed: `nas`'s trainer against a plain PyTorch training loop on the same model.

    /usr/bin/python3 tests/bench/bench_trainer.py [--steps 30] [--batch 256] [--threads 2] [--nas build/bin/nas]

Both train the NAS-Bench-201 cell that is best on CIFAR-10 (C = 16, N = 5, 10 classes) on
Fashion-MNIST padded to 3x32x32, with random crop (padding 4) and flip, SGD with Nesterov
momentum 0.9, weight decay 5e-4, lr 0.1, batch `--batch`, `--threads` intra-op threads, for
`--steps` steps. `nas` runs its train stage (one epoch of `--steps` steps) and reports the
images/s of that epoch from train_log.csv, which counts every step from the first, loading and
augmenting the batches included. The PyTorch loop is written as one would by hand: the images
in one tensor in memory (decoded once, outside the timing), each step draws a batch, crops and
flips it with tensor operations, and runs forward, cross entropy, backward and
torch.optim.SGD.step(); it is timed over the same steps from the first. The network is the
oracle's NB201 builder (tests/oracle/nb201_net.py), module for module the one `nas` builds.
Both run one after the other in this process's machine; the ratio is what to compare.
"""
import argparse
import csv
import gzip
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
import nb201_net  # noqa: E402

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
FMNIST = "/usr/share/datasets/fashion-mnist"


def nas_images_per_second(nas, steps, batch, threads):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        yaml = os.path.join(tmp, "p.yaml")
        with open(yaml, "w") as f:
            f.write(
                f"run: {{out_dir: '{out}', seed: 0, torch_threads: {threads}}}\n"
                "data: {type: fashion_mnist, batch_size: 64, params: {resize: 32, channels: 3, "
                "augment: [crop, flip], crop_padding: 4}}\n"
                "search_space: {type: nb201}\nproxies: [params]\n"
                f"train: {{arch: '{BEST}', epochs: 1, batch_size: {batch}, steps_per_epoch: {steps}, "
                f"eval_batches: 1, log_every: {steps}, lr: 0.1, momentum: 0.9, nesterov: true, "
                "weight_decay: 5e-4}\n")
        subprocess.run([nas, "-q", "run", yaml], check=True)
        with open(os.path.join(out, "train", "train_log.csv")) as f:
            rows = [r for r in csv.DictReader(f) if r["split"] == "train"]
        return float(rows[-1]["images_per_second"])


def load_fmnist():
    with gzip.open(os.path.join(FMNIST, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(FMNIST, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = (x - 0.2860) / 0.3530
    x = F.pad(x, (2, 2, 2, 2)).unsqueeze(1).expand(-1, 3, -1, -1).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


def torch_images_per_second(steps, batch, threads):
    torch.set_num_threads(threads)
    x, y = load_fmnist()
    torch.manual_seed(0)
    net = nb201_net.build(BEST, 0, num_classes=10)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), generator=gen)
        xb = F.pad(x[idx], (4, 4, 4, 4))
        dx, dy = torch.randint(0, 9, (2,), generator=gen).tolist()
        xb = xb[:, :, dy:dy + 32, dx:dx + 32]
        flip = torch.rand(batch, generator=gen) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
        loss = F.cross_entropy(net(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * batch / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--nas", default=os.path.join(HERE, "..", "..", "build", "bin", "nas"))
    a = p.parse_args()
    ours = nas_images_per_second(a.nas, a.steps, a.batch, a.threads)
    theirs = torch_images_per_second(a.steps, a.batch, a.threads)
    print(f"/usr/bin/python3 tests/bench/bench_trainer.py --steps {a.steps} --batch {a.batch} "
          f"--threads {a.threads}  (torch {torch.__version__})\n")
    print("| trainer | images/s |\n|---|---|")
    print(f"| nas train stage | {ours:.1f} |")
    print(f"| PyTorch loop (python3-torch) | {theirs:.1f} |")
    print(f"\nratio nas / PyTorch: {ours / theirs:.3f}")


if __name__ == "__main__":
    main()
