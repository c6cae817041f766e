#!/usr/bin/python3
"""The seeded data order of nas::EpochOrder and the samples of the `synthetic` dataset's
indexed splits, recomputed from their documented definitions in plain Python (no torch).

  data_order.py

prints the numbers tests/test_data_order.cpp and tests/test_datasets.cpp pin. The building
blocks are re-implemented from their specifications, not from the C++ code:
* mix64: the SplitMix64 finaliser (Steele, Lea, Flood 2014), hash_string: FNV-1a 64 then
  mix64, derive_seed as nas/seed.h defines it;
* std::mt19937_64 from the C++ standard ([rand.predef]: its 10000th output for the default
  seed 5489 is 9981545732273789042, checked below);
* nas::Rng::below (rejection sampling) and uniform (53 high bits);
* the Fisher–Yates order of nas/epoch_order.h and the Box–Muller samples of
  plugins/synthetic/synthetic.cpp;
* the random choices of nas/transform.h: RandomCrop draws its row then column offset with
  below(2p + 1), RandomHorizontalFlip flips when below(2) is 1, Compose's stage k uses
  mix64(seed + k), and augment_seed(master, epoch, index) = mix64(derive_seed(master,
  "augment", "", epoch) ^ index).
"""
import math
import struct

M64 = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def hash_string(text):
    h = 0xCBF29CE484222325
    for c in text.encode():
        h ^= c
        h = (h * 0x100000001B3) & M64
    return mix64(h)


def derive_seed(master, component, arch="", repeat=0):
    h = mix64(master)
    h = mix64(h ^ hash_string(component))
    h = mix64(h ^ hash_string(arch))
    h = mix64(h ^ repeat)
    return h >> 1


class MT19937_64:
    N, M = 312, 156

    def __init__(self, seed):
        self.mt = [0] * self.N
        self.mt[0] = seed & M64
        for i in range(1, self.N):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & M64
        self.index = self.N

    def _twist(self):
        upper, lower = 0xFFFFFFFF80000000, 0x7FFFFFFF
        for i in range(self.N):
            x = (self.mt[i] & upper) | (self.mt[(i + 1) % self.N] & lower)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            self.mt[i] = self.mt[(i + self.M) % self.N] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= self.N:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & M64


class Rng:
    def __init__(self, seed):
        self.engine = MT19937_64(seed)

    def below(self, n):
        limit = M64 - M64 % n
        while True:
            v = self.engine()
            if v < limit:
                return v % n

    def uniform(self):
        return (self.engine() >> 11) * 2.0**-53


def permutation(size, seed, epoch):
    order = list(range(size))
    rng = Rng(derive_seed(seed, "epoch_order", "", epoch))
    for i in range(size - 1):
        j = i + rng.below(size - i)
        order[i], order[j] = order[j], order[i]
    return order


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def synthetic_sample(split, index, pixels, num_classes):
    rng = Rng(mix64(hash_string(split) ^ index))
    out = []
    while len(out) < pixels:
        radius = math.sqrt(-2.0 * math.log(1.0 - rng.uniform()))
        angle = 2.0 * math.pi * rng.uniform()
        out.append(f32(radius * math.cos(angle)))
        if len(out) < pixels:
            out.append(f32(radius * math.sin(angle)))
    return out, rng.below(num_classes)


def main():
    mt = MT19937_64(5489)
    for _ in range(9999):
        mt()
    assert mt() == 9981545732273789042, "mt19937_64 does not match the C++ standard"

    for size, seed, epoch in [(10, 7, 0), (10, 7, 1), (10, 8, 0), (6, 2024, 3)]:
        print(f"permutation(size={size}, seed={seed}, epoch={epoch}) = {permutation(size, seed, epoch)}")
    p = permutation(50000, 1, 0)
    print(f"permutation(size=50000, seed=1, epoch=0)[:8] = {p[:8]}, [-1] = {p[-1]}")

    for split, index in [("train", 0), ("train", 3), ("validation", 0), ("test", 5)]:
        x, label = synthetic_sample(split, index, 2 * 2 * 2, 10)
        print(f"synthetic {split}[{index}] (2x2x2, 10 classes): {[repr(v) for v in x]} label {label}")

    print("flip decisions of seeds 0..15:", [Rng(s).below(2) for s in range(16)])
    offsets = []
    for s in range(16):
        rng = Rng(s)
        dy = rng.below(3)
        dx = rng.below(3)
        offsets.append((dy, dx))
    print("crop(1) offsets (dy, dx) of seeds 0..15:", offsets)
    for master, epoch, index in [(3, 1, 4), (3, 2, 4), (3, 1, 5)]:
        seed = augment_seed(master, epoch, index)
        crop = Rng(stage_seed(seed, 0))
        dy, dx = crop.below(3), crop.below(3)
        flip = Rng(stage_seed(seed, 1)).below(2)
        print(f"augment_seed({master}, {epoch}, {index}) = {seed}: crop(1) offsets ({dy}, {dx}), flip {flip}")


def augment_seed(master, epoch, index):
    return mix64(derive_seed(master, "augment", "", epoch) ^ index)


def stage_seed(seed, stage):
    return mix64((seed + stage) & M64)


if __name__ == "__main__":
    main()
