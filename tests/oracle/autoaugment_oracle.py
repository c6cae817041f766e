#!/usr/bin/python3
"""Oracle for the imagenet plugin's AutoAugment operations (plugins/imagenet/autoaugment.h).

Runs the 14 operations of the ImageNet AutoAugment policy with PIL itself (Debian's
python3-pil), called the way the Zen-NAS / WRCor ImageNetPolicy calls them, on a few
deterministic images, and writes every input and result as raw RGB bytes:

  autoaugment_oracle.py OUTDIR

OUTDIR/images.txt     one line per input:  NAME WIDTH HEIGHT FILE
OUTDIR/cases.txt      one line per result: IMAGE KIND NAME LEVEL SIGN VALUE FILE
                      KIND op:     operation NAME at magnitude level LEVEL with sign SIGN
                                   (VALUE: the magnitude, repr);
                      KIND angle:  Image.rotate by VALUE degrees, as the policy's rotate;
                      KIND policy: sub-policy NAME (its index) with both operations run,
                                   LEVEL and SIGN the signs of the first and second
                                   (VALUE unused).
OUTDIR/magnitudes.txt OP LEVEL VALUE (repr) from numpy's linspace, the policy's tables.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

AFFINE = getattr(Image, "Transform", Image).AFFINE
BICUBIC = getattr(Image, "Resampling", Image).BICUBIC
FILL = (128, 128, 128)

LEVELS = 10
RANGES = {
    "shearX": np.linspace(0, 0.3, LEVELS),
    "shearY": np.linspace(0, 0.3, LEVELS),
    "translateX": np.linspace(0, 150 / 331, LEVELS),
    "translateY": np.linspace(0, 150 / 331, LEVELS),
    "rotate": np.linspace(0, 30, LEVELS),
    "color": np.linspace(0.0, 0.9, LEVELS),
    "posterize": np.round(np.linspace(8, 4, LEVELS), 0).astype(int),
    "solarize": np.linspace(256, 0, LEVELS),
    "contrast": np.linspace(0.0, 0.9, LEVELS),
    "sharpness": np.linspace(0.0, 0.9, LEVELS),
    "brightness": np.linspace(0.0, 0.9, LEVELS),
    "autocontrast": [0] * LEVELS,
    "equalize": [0] * LEVELS,
    "invert": [0] * LEVELS,
}
SIGNED = {"shearX", "shearY", "translateX", "translateY",
          "color", "contrast", "sharpness", "brightness"}

# The 25 ImageNet sub-policies: (p1, op1, level1, p2, op2, level2).
POLICY = [
    (0.4, "posterize", 8, 0.6, "rotate", 9), (0.6, "solarize", 5, 0.6, "autocontrast", 5),
    (0.8, "equalize", 8, 0.6, "equalize", 3), (0.6, "posterize", 7, 0.6, "posterize", 6),
    (0.4, "equalize", 7, 0.2, "solarize", 4), (0.4, "equalize", 4, 0.8, "rotate", 8),
    (0.6, "solarize", 3, 0.6, "equalize", 7), (0.8, "posterize", 5, 1.0, "equalize", 2),
    (0.2, "rotate", 3, 0.6, "solarize", 8), (0.6, "equalize", 8, 0.4, "posterize", 6),
    (0.8, "rotate", 8, 0.4, "color", 0), (0.4, "rotate", 9, 0.6, "equalize", 2),
    (0.0, "equalize", 7, 0.8, "equalize", 8), (0.6, "invert", 4, 1.0, "equalize", 8),
    (0.6, "color", 4, 1.0, "contrast", 8), (0.8, "rotate", 8, 1.0, "color", 2),
    (0.8, "color", 8, 0.8, "solarize", 7), (0.4, "sharpness", 7, 0.6, "invert", 8),
    (0.6, "shearX", 5, 1.0, "equalize", 9), (0.4, "color", 0, 0.6, "equalize", 3),
    (0.4, "equalize", 7, 0.2, "solarize", 4), (0.6, "solarize", 5, 0.6, "autocontrast", 5),
    (0.6, "invert", 4, 1.0, "equalize", 8), (0.6, "color", 4, 1.0, "contrast", 8),
    (0.8, "equalize", 8, 0.6, "equalize", 3),
]


def rotate(img, degrees):
    """The policy's rotate: RGBA rotate (nearest), composited on grey, back to RGB."""
    turned = img.convert("RGBA").rotate(degrees)
    grey = Image.new("RGBA", turned.size, (128,) * 4)
    return Image.composite(turned, grey, turned).convert(img.mode)


def run_op(img, name, level, sign):
    m = RANGES[name][level]
    w, h = img.size
    if name == "shearX":
        return img.transform(img.size, AFFINE, (1, m * sign, 0, 0, 1, 0), BICUBIC,
                             fillcolor=FILL)
    if name == "shearY":
        return img.transform(img.size, AFFINE, (1, 0, 0, m * sign, 1, 0), BICUBIC,
                             fillcolor=FILL)
    if name == "translateX":
        return img.transform(img.size, AFFINE, (1, 0, m * w * sign, 0, 1, 0), fillcolor=FILL)
    if name == "translateY":
        return img.transform(img.size, AFFINE, (1, 0, 0, 0, 1, m * h * sign), fillcolor=FILL)
    if name == "rotate":
        return rotate(img, m)  # no sign in the reference
    if name == "posterize":
        return ImageOps.posterize(img, int(m))
    if name == "solarize":
        return ImageOps.solarize(img, m)
    if name == "autocontrast":
        return ImageOps.autocontrast(img)
    if name == "equalize":
        return ImageOps.equalize(img)
    if name == "invert":
        return ImageOps.invert(img)
    enhancer = {"color": ImageEnhance.Color, "contrast": ImageEnhance.Contrast,
                "sharpness": ImageEnhance.Sharpness,
                "brightness": ImageEnhance.Brightness}[name]
    return enhancer(img).enhance(1 + m * sign)


class Lcg:
    """A small deterministic generator, so the images need no seeding of Python's."""

    def __init__(self, seed):
        self.state = seed

    def next(self, n):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.state >> 33) % n


def scene(w, h, seed):
    """Gradients, a disc, stripes and noise: every operation has something to change."""
    rnd = Lcg(seed)
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            r = (x * 255) // max(1, w - 1)
            g = (y * 255) // max(1, h - 1)
            b = 40 + ((x // 3 + y // 4) % 2) * 150
            if (x - w / 3) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2:
                r, g, b = 230, 60 + (x % 7) * 20, 20
            noise = rnd.next(41) - 20
            px[x, y] = tuple(max(0, min(255, v + noise)) for v in (r, g, b))
    return img


def dim(w, h, seed):
    """A low-contrast image (values in [50, 180]) with uneven histograms."""
    rnd = Lcg(seed)
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (50 + rnd.next(131), 90 + (x * y) % 60, 120 + rnd.next(3) * 30)
    return img


def main():
    out = sys.argv[1]
    images = {
        "scene": scene(61, 47, 1),
        "dim": dim(40, 33, 2),
        "square": scene(32, 32, 3),
        "strip": scene(5, 2, 4),
    }
    image_lines, case_lines = [], []
    for name, img in images.items():
        path = os.path.join(out, "in_" + name + ".rgb")
        with open(path, "wb") as f:
            f.write(img.tobytes())
        image_lines.append(f"{name} {img.size[0]} {img.size[1]} {path}")

    counter = [0]

    def emit(image, kind, name, level, sign, value, result):
        assert result.mode == "RGB" and result.size == images[image].size
        path = os.path.join(out, f"out_{counter[0]}.rgb")
        counter[0] += 1
        with open(path, "wb") as f:
            f.write(result.tobytes())
        case_lines.append(f"{image} {kind} {name} {level} {sign} {value!r} {path}")

    for image, img in images.items():
        for name in RANGES:
            levels = range(LEVELS) if name not in ("autocontrast", "equalize", "invert") else [0]
            signs = (-1, 1) if name in SIGNED else (1,)
            for level in levels:
                for sign in signs:
                    emit(image, "op", name, level, sign, float(RANGES[name][level]),
                         run_op(img, name, level, sign))
        for degrees in (-10.0, 45.5, 90.0, 180.0, 270.0, 360.0, 725.0):
            emit(image, "angle", "rotate", 0, 1, degrees, rotate(img, degrees))
        if image != "scene":
            continue
        for index, (_, op1, level1, _, op2, level2) in enumerate(POLICY):
            for s1 in (-1, 1) if op1 in SIGNED else (1,):
                for s2 in (-1, 1) if op2 in SIGNED else (1,):
                    result = run_op(run_op(img, op1, level1, s1), op2, level2, s2)
                    emit(image, "policy", str(index), s1, s2, 0.0, result)

    with open(os.path.join(out, "images.txt"), "w") as f:
        f.write("\n".join(image_lines) + "\n")
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(case_lines) + "\n")
    with open(os.path.join(out, "magnitudes.txt"), "w") as f:
        for name, values in RANGES.items():
            for level in range(LEVELS):
                f.write(f"{name} {level} {float(values[level])!r}\n")


if __name__ == "__main__":
    main()
