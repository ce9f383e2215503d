#!/usr/bin/env python3
"""Black-box robustness check of Quell's hash profiles, with transforms written independently
of crates/lab/src/transform.rs (Pillow + numpy), scored only through the `quell` CLI (built
with `--features lab` to score the retired profiles `pdq-robust-v1` to v4).

Usage:
    python3 bench/robust/blackbox.py --quell PATH --corpus /tmp/robust-corpus --out DIR
        [--profiles pdq-plain-v1,pdq-robust-v3,pdq-robust-v2] [--seed 20261202] [--jobs 2]
        [--skip-generate] [--skip-match]

Needs Pillow (>= 10.1, for a scalable default font) and numpy. Everything is seeded: each
variant's random choices come from random.Random(f"{seed}:{image}:{family}"), so a run with
the same seed, corpus and Pillow version writes the same files and the same figures.

What it does
  1. Reads CORPUS/originals (the tuning set) and CORPUS/holdout (never tuned on); each image
     converted to RGB (alpha dropped), downscaled with LANCZOS so its longer side is at most
     1024 px, written as PNG to OUT/registered/<set>-<name>.png. Those files are registered
     (one folder, so both sets go into one index) and are the files transformed.
  2. Writes the variants below to OUT/variants/<family>/ (PNG; JPEG where the family is JPEG)
     and a manifest OUT/manifest.json (variant path -> original, family, sub-variant).
  3. For each profile: `quell index build --profile P --images OUT/registered -o OUT/P.idx`,
     then `quell match --index OUT/P.idx --images <batch of paths> -j 2` over every variant,
     every distractor (CORPUS/distractors, as they are) and every registered original.
     (`quell match --images` applies the profile's own match rule and refuses
     --max-distance. A run takes about 9 minutes on 2 cores: generation ~4.5 min, then about
     1.5 min per profile.) `quell index build` does not register images of PDQ quality below
     50 (it names them on stderr); their variants count as misses in report.md.
  4. Scores: a variant is recalled when its own original is among its hits; every hit to a
     different original (from a variant, a distractor or an original) is a false match.
     Writes OUT/results.json and OUT/report.md; OUT/report-q50.md gives the same figures
     without the originals whose PDQ quality (`quell hash`) is below 50, which the Rust eval
     skips but `quell index build` registers (their variants dropped, hits to them ignored).

Transform choices (deliberately not those of the Rust eval; r = the per-variant RNG)
  jpeg        quality r in [30, 70], Pillow encoder, 4:2:0 subsampling for even qualities,
              4:4:4 for odd ones (both are common), saved as .jpg.
  resize      factor r in [0.25, 0.50] of each side; resampling r among NEAREST, BILINEAR,
              BICUBIC, LANCZOS (NEAREST is what some thumbnailers do).
  centre crop kept share drawn independently per axis, r in [0.70, 0.90] (the Rust eval keeps
              the same share on both axes).
  side crop   15 % of the extent removed from one side r (top, bottom, left, right).
  border      10 % of the *shorter* side added on all four sides (square border, unlike a
              share of each axis), colour r among white, black, mid grey (128), and the
              image's own edge colour (mean of its outermost 3 px ring).
  letterbox   bars of 10 % of the height top and bottom (or, for one image in three, 10 % of
              the width left and right: pillarbox), colour r from the same four.
  caption     a bar of 15 % of the image height added top or bottom (r), white (250) or black
              (8) (r); on it either real words drawn with Pillow's default font scaled to
              ~45 % of the bar height, centred, one line (r: half the variants), or
              rectangles that look like words (one or two lines, word widths r).
  logo        a block 20 % of the width (capped at 45 % of the height) in corner r, 3 %
              margin: r among an opaque rounded rectangle with a contrasting word on it, a
              semi-transparent (alpha r in [0.45, 0.75]) ellipse with a word, or
              semi-transparent white text only (a watermark).
  screenshot  three sub-families, the image scaled to 70 % of the canvas width:
              dark   phone canvas 9:19.5, near black (r in 0..16), status bar with white time
                     text and icon blocks, a header with a user name, the image, caption text
                     lines in light grey under it, and a navigation bar;
              light  the same layout on white or light grey (r: 255 or 242), dark text in the
                     status bar and header, grey text lines below, light nav bar;
              desktop a 16:10 desktop (gradient wallpaper r), a taskbar, and a window whose
                     client area is the image at 70 % of the desktop width, with a 32 px-ish
                     title bar (light or dark r) holding a title and three buttons.
              Image placed at its layout spot (not centred vertically in the phone).
  rotate90    90, 180 and 270 (Image.transpose), three variants.
  flip        horizontal and vertical, two variants.
  tilt        three variants, each angle r in [3, 5] degrees with sign r, BICUBIC:
              black  canvas expanded to hold the whole rotated image, black fill;
              white  same-size canvas (corners cut), white fill;
              inner  rotate then crop to the largest axis-aligned rectangle of the same aspect
                     ratio lying inside the rotated image (no fill at all).
  grayscale   Image.convert("L") (ITU-R 601-2 luma) saved as a one-channel PNG.
  brightness/contrast  ImageEnhance.Brightness factor r in [0.65, 0.8] or [1.2, 1.35], then
              ImageEnhance.Contrast r in [0.65, 0.8] or [1.2, 1.4].
  blur        Gaussian radius r in [1, 3] (r: 3 in 4), else BoxBlur radius r in [1, 2.5].
  chains      five variants: screenshot (dark or light, r) then JPEG 60; caption then resize
              50 % (BILINEAR); centre crop 85 % then JPEG 50 then resize 50 % (BICUBIC);
              border (colour r) then rotate 90; tilt (black, expanded, angle r) then JPEG
              q r in [50, 70].
  thorn crop5 5 % removed from each side (centre 90 %).
  thorn pad20 20 % of each dimension added on each side, black (Thorn's benchmark pads with
              a constant colour), i.e. the image is 1/1.4 of each canvas side.

Scoring
  recall per family = share of the family's variants whose own original is in their hits;
  the mean over families is over the issue's 15 families (sub-families pooled: border +
  letterbox = "border/letterbox", the three screenshots = "screenshot"); Thorn's two are
  reported beside it and in a second mean over all 17. False matches count every hit to a
  different original; rates are per impostor pair (queries x registered originals, minus the
  query's own original).
"""

import argparse
import collections
import json
import math
import os
import random
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

MAX_SIDE = 1024
WORDS = ("the quick brown fox jumps over lazy dog sunset beach trip with friends look at "
         "this amazing view love summer photo lol wow share follow like new post today "
         "weekend vibes repost credit original").split()

# family -> group (the issue's list) used for the mean over families
GROUPS = {
    "jpeg": "jpeg q30-70", "resize": "resize 25-50%", "centre-crop": "centre crop 70-90%",
    "side-crop": "one-side crop 15%", "border": "border/letterbox 10%",
    "letterbox": "border/letterbox 10%", "caption": "caption bar 15%",
    "logo": "corner logo 20%", "screenshot-dark": "screenshot", "screenshot-light": "screenshot",
    "screenshot-desktop": "screenshot", "rotate90": "rotate 90/180/270", "flip": "flip h/v",
    "tilt": "rotate ±3-5°", "grayscale": "grayscale", "brightness-contrast": "brightness/contrast",
    "blur": "blur", "chain": "chains", "thorn-crop5": "thorn crop 5% each side",
    "thorn-pad20": "thorn pad 20%",
}
THORN = {"thorn crop 5% each side", "thorn pad 20%"}


def rng_for(seed, name, family):
    return random.Random(f"{seed}:{name}:{family}")


def font(size):
    return ImageFont.load_default(size=max(8, int(size)))


def edge_colour(im):
    a = np.asarray(im.convert("RGB"), dtype=np.float64)
    k = 3
    ring = np.concatenate([a[:k].reshape(-1, 3), a[-k:].reshape(-1, 3),
                           a[:, :k].reshape(-1, 3), a[:, -k:].reshape(-1, 3)])
    return tuple(int(round(v)) for v in ring.mean(axis=0))


def pick_colour(r, im):
    kind = r.choice(["white", "black", "grey", "edge"])
    return kind, {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128),
                  "edge": None}[kind] or edge_colour(im)


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def draw_fake_text(d, x0, y0, w, h, ink, r, lines):
    """Rectangles that look like words: `lines` lines in the box."""
    line_h = max(2, h // (2 * lines + 1))
    for li in range(lines):
        top = y0 + line_h * (2 * li + 1)
        x = x0
        end = x0 + int(w * r.uniform(0.6, 1.0))
        while x < end:
            ww = int(line_h * r.uniform(1.2, 4.5))
            d.rectangle([x, top, min(x + ww, end), top + line_h], fill=ink)
            x += ww + max(2, line_h // 2)


def draw_text_lines(d, x0, y0, w, h, ink, r, size):
    f = font(size)
    y = y0
    while y + size < y0 + h:
        d.text((x0, y), words(r, r.randint(3, 7)), fill=ink, font=f)
        y += int(size * 1.5)


# ---- families -------------------------------------------------------------------------

def t_jpeg(im, r, q=None):
    q = q if q is not None else r.randint(30, 70)
    return im, {"quality": q, "subsampling": 2 if q % 2 == 0 else 0}


def t_resize(im, r, factor=None, resample=None):
    factor = factor if factor is not None else r.uniform(0.25, 0.5)
    names = {"NEAREST": Image.NEAREST, "BILINEAR": Image.BILINEAR,
             "BICUBIC": Image.BICUBIC, "LANCZOS": Image.LANCZOS}
    rs = resample or r.choice(list(names))
    w, h = im.size
    return im.resize((max(1, round(w * factor)), max(1, round(h * factor))), names[rs]), \
        f"x{factor:.2f} {rs}"


def t_centre_crop(im, fx, fy):
    w, h = im.size
    cw, ch = round(w * fx), round(h * fy)
    x, y = (w - cw) // 2, (h - ch) // 2
    return im.crop((x, y, x + cw, y + ch))


def t_side_crop(im, side, frac=0.15):
    w, h = im.size
    cw, ch = round(w * frac), round(h * frac)
    box = {"top": (0, ch, w, h), "bottom": (0, 0, w, h - ch),
           "left": (cw, 0, w, h), "right": (0, 0, w - cw, h)}[side]
    return im.crop(box)


def t_border(im, colour, frac=0.1):
    w, h = im.size
    b = round(min(w, h) * frac)
    out = Image.new("RGB", (w + 2 * b, h + 2 * b), colour)
    out.paste(im, (b, b))
    return out


def t_letterbox(im, colour, pillar, frac=0.1):
    w, h = im.size
    if pillar:
        b = round(w * frac)
        out = Image.new("RGB", (w + 2 * b, h), colour)
        out.paste(im, (b, 0))
    else:
        b = round(h * frac)
        out = Image.new("RGB", (w, h + 2 * b), colour)
        out.paste(im, (0, b))
    return out


def t_caption(im, r):
    w, h = im.size
    bar = max(6, round(h * 0.15))
    top = r.random() < 0.5
    white = r.random() < 0.5
    bg, ink = ((250, 250, 250), (15, 15, 15)) if white else ((8, 8, 8), (240, 240, 240))
    out = Image.new("RGB", (w, h + bar), bg)
    out.paste(im, (0, bar if top else 0))
    d = ImageDraw.Draw(out)
    y0 = 0 if top else h
    real = r.random() < 0.5
    if real:
        size = max(8, int(bar * 0.45))
        f = font(size)
        text = words(r, r.randint(3, 6)).upper() if r.random() < 0.5 else words(r, 5)
        tw = d.textlength(text, font=f)
        while tw > w * 0.92 and size > 8:
            size -= 2
            f = font(size)
            tw = d.textlength(text, font=f)
        d.text(((w - tw) / 2, y0 + (bar - size) / 2), text, fill=ink, font=f)
    else:
        lines = 2 if bar >= 48 else 1
        draw_fake_text(d, w // 12, y0, w - w // 6, bar, ink, r, lines)
    return out, f"{'top' if top else 'bottom'} {'white' if white else 'black'} " \
                f"{'text' if real else 'blocks'}"


def t_logo(im, r):
    w, h = im.size
    side = max(8, min(round(w * 0.2), round(h * 0.45)))
    bw, bh = side, max(8, round(side * r.uniform(0.5, 1.0)))
    m = round(w * 0.03)
    corner = r.randrange(4)
    x = m if corner % 2 == 0 else w - bw - m
    y = m if corner < 2 else h - bh - m
    kind = r.choice(["opaque", "translucent", "watermark"])
    base = im.convert("RGBA")
    layer = Image.new("RGBA", im.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    c = tuple(r.randrange(256) for _ in range(3))
    ink = (255, 255, 255) if sum(c) < 384 else (0, 0, 0)
    word = r.choice(["LOGO", "NEWS", "TV24", "@user", "meme"])
    size = max(8, bh // 3)
    f = font(size)
    if kind == "opaque":
        d.rounded_rectangle([x, y, x + bw, y + bh], radius=bh // 5, fill=c + (255,))
        d.text((x + bw * 0.1, y + (bh - size) / 2), word, fill=ink + (255,), font=f)
    elif kind == "translucent":
        a = round(255 * r.uniform(0.45, 0.75))
        d.ellipse([x, y, x + bw, y + bh], fill=c + (a,))
        d.text((x + bw * 0.2, y + (bh - size) / 2), word, fill=ink + (a,), font=f)
    else:
        a = round(255 * r.uniform(0.45, 0.75))
        size = max(8, bh // 2)
        d.text((x, y + (bh - size) / 2), word, fill=(255, 255, 255, a), font=font(size))
    return Image.alpha_composite(base, layer).convert("RGB"), f"{kind} corner{corner}"


def phone(im, r, dark):
    w, h = im.size
    cw = round(w / 0.7)
    ch = max(round(cw * 19.5 / 9), h + round(cw * 0.5))
    if dark:
        bg = (r.randint(0, 16),) * 3
        bar_bg, ink, soft = (bg[0] + 10,) * 3, (235, 235, 235), (150, 150, 150)
    else:
        bg = (255,) * 3 if r.random() < 0.5 else (242, 242, 242)
        bar_bg, ink, soft = (248, 248, 248), (20, 20, 20), (110, 110, 110)
    out = Image.new("RGB", (cw, ch), bg)
    d = ImageDraw.Draw(out)
    sb = round(ch * 0.035)
    d.rectangle([0, 0, cw, sb], fill=bar_bg)
    fs = max(8, int(sb * 0.6))
    d.text((cw * 0.05, (sb - fs) / 2), f"{r.randint(1, 12)}:{r.randint(0, 59):02d}",
           fill=ink, font=font(fs))
    for i in range(3):  # signal, wifi, battery blocks
        x1 = cw * 0.95 - i * sb * 1.1
        d.rectangle([x1 - sb * 0.8, sb * 0.3, x1, sb * 0.7], fill=ink)
    hy = sb + round(ch * 0.02)
    hs = max(8, int(sb * 0.7))
    d.ellipse([cw * 0.05, hy, cw * 0.05 + hs * 1.4, hy + hs * 1.4], fill=soft)
    d.text((cw * 0.05 + hs * 1.8, hy + hs * 0.2), "@" + r.choice(WORDS) + "_" +
           r.choice(WORDS), fill=ink, font=font(hs))
    iy = hy + round(hs * 2.2)
    out.paste(im, ((cw - w) // 2, iy))
    ty = iy + h + round(sb * 0.6)
    nav = round(ch * 0.06)
    draw_text_lines(d, round(cw * 0.05), ty, round(cw * 0.9),
                    max(0, min(ch - nav - ty, round(sb * 4))), soft, r, hs)
    d.rectangle([0, ch - nav, cw, ch], fill=bar_bg)
    for i, fx in enumerate((0.25, 0.5, 0.75)):
        cx, cy = cw * fx, ch - nav / 2
        d.rectangle([cx - nav * 0.2, cy - nav * 0.2, cx + nav * 0.2, cy + nav * 0.2],
                    outline=soft, width=max(1, nav // 15))
    return out


def desktop(im, r):
    w, h = im.size
    dw = round(w / 0.7)
    dh = max(round(dw * 10 / 16), h + round(dw * 0.12))
    c1 = np.array([r.randrange(256) for _ in range(3)], dtype=np.float64)
    c2 = np.array([r.randrange(256) for _ in range(3)], dtype=np.float64)
    t = np.linspace(0, 1, dh)[:, None, None]
    grad = (c1 * (1 - t) + c2 * t).repeat(dw, axis=1)
    out = Image.fromarray(grad.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(out)
    tb = max(12, round(dh * 0.04))
    d.rectangle([0, dh - tb, dw, dh], fill=(30, 30, 36))
    for i in range(6):
        d.rectangle([tb * (1 + 1.4 * i), dh - tb * 0.8, tb * (1.8 + 1.4 * i), dh - tb * 0.2],
                    fill=(90 + 20 * i, 120, 200))
    title = max(12, round(dh * 0.035))
    light = r.random() < 0.5
    tbg, tink = ((232, 232, 232), (30, 30, 30)) if light else ((45, 45, 50), (220, 220, 220))
    wx = (dw - w) // 2
    wy = max(0, (dh - tb - h - title) // 2)
    d.rectangle([wx - 1, wy - 1, wx + w, wy + title + h], outline=(0, 0, 0))
    d.rectangle([wx, wy, wx + w - 1, wy + title - 1], fill=tbg)
    d.text((wx + title * 0.5, wy + title * 0.2), r.choice(WORDS) + ".jpg - Image Viewer",
           fill=tink, font=font(title * 0.6))
    for i, col in enumerate(((230, 80, 70), (240, 190, 60), (90, 200, 90))):
        cx = wx + w - title * (0.7 + 0.9 * i)
        d.ellipse([cx - title * 0.3, wy + title * 0.2, cx + title * 0.3, wy + title * 0.8],
                  fill=col)
    out.paste(im, (wx, wy + title))
    return out, "light title" if light else "dark title"


def rotate_fill(im, deg, fill, expand):
    return im.rotate(deg, resample=Image.BICUBIC, expand=expand, fillcolor=fill)


def inner_rect(w, h, deg):
    """Largest axis-aligned rectangle of aspect w:h inside a w x h image rotated by deg."""
    a = math.radians(abs(deg))
    s, c = math.sin(a), math.cos(a)
    # scale k so that (k w, k h) rotated fits in (w, h): k (w c + h s) <= w, k (w s + h c) <= h
    k = min(w / (w * c + h * s), h / (w * s + h * c))
    return k * w, k * h


def t_tilt_inner(im, deg):
    w, h = im.size
    rot = im.rotate(deg, resample=Image.BICUBIC, expand=True)
    iw, ih = inner_rect(w, h, deg)
    iw, ih = math.floor(iw) - 2, math.floor(ih) - 2
    W, H = rot.size
    x, y = (W - iw) // 2, (H - ih) // 2
    return rot.crop((x, y, x + iw, y + ih))


def signed_angle(r):
    return r.uniform(3, 5) * (1 if r.random() < 0.5 else -1)


def variants(im, name, seed):
    """[(family, sub-variant label, image, jpeg options or None)]."""
    out = []
    r = rng_for(seed, name, "jpeg")
    _, opt = t_jpeg(im, r)
    out.append(("jpeg", f"q{opt['quality']} ss{opt['subsampling']}", im, opt))
    r = rng_for(seed, name, "resize")
    v, lab = t_resize(im, r)
    out.append(("resize", lab, v, None))
    r = rng_for(seed, name, "centre-crop")
    fx, fy = r.uniform(0.7, 0.9), r.uniform(0.7, 0.9)
    out.append(("centre-crop", f"{fx:.2f}x{fy:.2f}", t_centre_crop(im, fx, fy), None))
    r = rng_for(seed, name, "side-crop")
    side = r.choice(["top", "bottom", "left", "right"])
    out.append(("side-crop", side, t_side_crop(im, side), None))
    r = rng_for(seed, name, "border")
    kind, col = pick_colour(r, im)
    out.append(("border", kind, t_border(im, col), None))
    r = rng_for(seed, name, "letterbox")
    kind, col = pick_colour(r, im)
    pillar = r.random() < 1 / 3
    out.append(("letterbox", f"{'pillar' if pillar else 'letter'} {kind}",
                t_letterbox(im, col, pillar), None))
    r = rng_for(seed, name, "caption")
    v, lab = t_caption(im, r)
    out.append(("caption", lab, v, None))
    r = rng_for(seed, name, "logo")
    v, lab = t_logo(im, r)
    out.append(("logo", lab, v, None))
    r = rng_for(seed, name, "screenshot-dark")
    out.append(("screenshot-dark", "phone dark", phone(im, r, True), None))
    r = rng_for(seed, name, "screenshot-light")
    out.append(("screenshot-light", "phone light", phone(im, r, False), None))
    r = rng_for(seed, name, "screenshot-desktop")
    v, lab = desktop(im, r)
    out.append(("screenshot-desktop", lab, v, None))
    for deg, tr in ((90, Image.ROTATE_90), (180, Image.ROTATE_180), (270, Image.ROTATE_270)):
        out.append(("rotate90", f"r{deg}", im.transpose(tr), None))
    out.append(("flip", "h", im.transpose(Image.FLIP_LEFT_RIGHT), None))
    out.append(("flip", "v", im.transpose(Image.FLIP_TOP_BOTTOM), None))
    r = rng_for(seed, name, "tilt")
    a = signed_angle(r)
    out.append(("tilt", f"black-expand {a:+.2f}", rotate_fill(im, a, (0, 0, 0), True), None))
    a = signed_angle(r)
    out.append(("tilt", f"white-same {a:+.2f}", rotate_fill(im, a, (255, 255, 255), False),
                None))
    a = signed_angle(r)
    out.append(("tilt", f"inner-crop {a:+.2f}", t_tilt_inner(im, a), None))
    out.append(("grayscale", "L", im.convert("L"), None))
    r = rng_for(seed, name, "brightness-contrast")
    b = r.uniform(0.65, 0.8) if r.random() < 0.5 else r.uniform(1.2, 1.35)
    c = r.uniform(0.65, 0.8) if r.random() < 0.5 else r.uniform(1.2, 1.4)
    out.append(("brightness-contrast", f"b{b:.2f} c{c:.2f}",
                ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(b)).enhance(c), None))
    r = rng_for(seed, name, "blur")
    if r.random() < 0.75:
        rad = r.uniform(1, 3)
        out.append(("blur", f"gauss {rad:.2f}", im.filter(ImageFilter.GaussianBlur(rad)), None))
    else:
        rad = r.uniform(1, 2.5)
        out.append(("blur", f"box {rad:.2f}", im.filter(ImageFilter.BoxBlur(rad)), None))
    r = rng_for(seed, name, "chain")
    dark = r.random() < 0.5
    out.append(("chain", f"screenshot-{'dark' if dark else 'light'}+jpeg60",
                phone(im, r, dark), {"quality": 60, "subsampling": 2}))
    cap, lab = t_caption(im, r)
    v, _ = t_resize(cap, r, 0.5, "BILINEAR")
    out.append(("chain", f"caption({lab})+resize50", v, None))
    # crop 85 % then JPEG 50 then resize 50 %: the JPEG step is done in memory here.
    cc = t_centre_crop(im, 0.85, 0.85)
    cc = jpeg_roundtrip(cc, 50)
    v, _ = t_resize(cc, r, 0.5, "BICUBIC")
    out.append(("chain", "crop85+jpeg50+resize50", v, None))
    kind, col = pick_colour(r, im)
    out.append(("chain", f"border({kind})+rot90", t_border(im, col).transpose(Image.ROTATE_90),
                None))
    a = signed_angle(r)
    q = r.randint(50, 70)
    out.append(("chain", f"tilt{a:+.2f}+jpeg{q}", rotate_fill(im, a, (0, 0, 0), True),
                {"quality": q, "subsampling": 2}))
    out.append(("thorn-crop5", "5% each side", t_centre_crop(im, 0.9, 0.9), None))
    w, h = im.size
    bx, by = round(w * 0.2), round(h * 0.2)
    pad = Image.new("RGB", (w + 2 * bx, h + 2 * by), (0, 0, 0))
    pad.paste(im, (bx, by))
    out.append(("thorn-pad20", "20% each side black", pad, None))
    return out


def jpeg_roundtrip(im, q):
    import io
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=q)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def load_downscaled(path):
    im = Image.open(path)
    im.load()
    im = im.convert("RGB")
    w, h = im.size
    s = MAX_SIDE / max(w, h)
    if s < 1:
        im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
    return im


def work(job):
    src, key, reg_path, out_dir, seed = job
    im = load_downscaled(src)
    im.save(reg_path, compress_level=1)
    im = Image.open(reg_path).convert("RGB")  # transform exactly the registered pixels
    rows = []
    counts = collections.Counter()
    for fam, lab, v, jpg in variants(im, key, seed):
        counts[fam] += 1
        d = Path(out_dir) / fam
        d.mkdir(parents=True, exist_ok=True)
        stem = f"{key}__{counts[fam]}"
        if jpg:
            p = d / f"{stem}.jpg"
            v.convert("RGB").save(p, "JPEG", quality=jpg["quality"], subsampling=jpg["subsampling"])
        else:
            p = d / f"{stem}.png"
            v.save(p, compress_level=1)
        rows.append({"path": str(p), "original": key, "family": fam, "variant": lab,
                     "size": list(v.size)})
    return rows


def run(cmd, **kw):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return p, time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quell", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profiles", default="pdq-plain-v1,pdq-robust-v3")
    ap.add_argument("--seed", default="20261202")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=400)
    ap.add_argument("--skip-generate", action="store_true")
    ap.add_argument("--skip-match", action="store_true",
                    help="re-score OUT/results.json of an earlier run")
    a = ap.parse_args()
    corpus, out = Path(a.corpus), Path(a.out)
    reg = out / "registered"
    vdir = out / "variants"
    manifest_path = out / "manifest.json"
    t0 = time.time()
    if not a.skip_generate:
        reg.mkdir(parents=True, exist_ok=True)
        jobs = []
        for s in ("originals", "holdout"):
            for f in sorted((corpus / s).iterdir()):
                key = f"{'o' if s == 'originals' else 'h'}-{f.stem}"
                jobs.append((str(f), key, str(reg / f"{key}.png"), str(vdir), a.seed))
        with Pool(a.jobs) as pool:
            rows = [r for rs in pool.map(work, jobs, chunksize=1) for r in rs]
        originals = {j[1]: {"source": j[0], "registered": j[2],
                            "set": "tuning" if j[1].startswith("o-") else "holdout"}
                     for j in jobs}
        manifest_path.write_text(json.dumps({"originals": originals, "variants": rows,
                                             "seed": a.seed}, indent=0))
        print(f"generated {len(rows)} variants of {len(jobs)} originals in "
              f"{time.time() - t0:.0f} s", file=sys.stderr)
    man = json.loads(manifest_path.read_text())
    originals, rows = man["originals"], man["variants"]
    distractors = sorted(str(p) for p in (corpus / "distractors").iterdir())
    queries = ([r["path"] for r in rows] + distractors +
               [o["registered"] for o in originals.values()])
    results = {"seed": man["seed"], "commands": [], "profiles": {}}
    if a.skip_match:
        results = json.loads((out / "results.json").read_text())
    for prof in ([] if a.skip_match else a.profiles.split(",")):
        idx = out / f"{prof}.idx"
        cmd = [a.quell, "index", "build", "--profile", prof, "--images", str(reg), "-o", str(idx)]
        p, dt = run(cmd)
        results["commands"].append(" ".join(cmd))
        if p.returncode:
            sys.exit(f"index build failed: {p.stderr}")
        id_of = {}
        for line in p.stdout.splitlines():
            i, path = line.split(" ", 1)
            id_of[Path(path).stem] = int(i)
        key_of = {v: k for k, v in id_of.items()}
        missing = sorted(set(originals) - set(id_of))
        print(f"{prof}: registered {len(id_of)} in {dt:.0f} s; not registered: {missing}; "
              f"stderr: {p.stderr.strip()[:300]}", file=sys.stderr)
        hits = collections.defaultdict(list)
        errors = []
        tm = time.time()
        for b in range(0, len(queries), a.batch):
            batch = queries[b:b + a.batch]
            cmd = [a.quell, "match", "--index", str(idx), "-j", str(a.jobs), "--images"] + batch
            p, _ = run(cmd)
            if b == 0:
                results["commands"].append(" ".join(cmd[:8]) + " <%d paths>" % len(batch))
            if p.returncode:
                errors.append(p.stderr.strip())
            for line in p.stdout.splitlines():
                path, i, dist = line.rsplit(" ", 2)
                hits[path].append((key_of[int(i)], int(dist)))
        mt = time.time() - tm
        print(f"{prof}: matched {len(queries)} files in {mt:.0f} s", file=sys.stderr)
        results["profiles"][prof] = {"hits": hits, "errors": errors, "missing": missing,
                                     "match_seconds": mt, "build_seconds": dt,
                                     "index_stderr": p.stderr.strip()[:2000]}
    if not a.skip_match:
        (out / "results.json").write_text(json.dumps(
            {"seed": results["seed"], "commands": results["commands"],
             "profiles": results["profiles"]}, indent=0))
    report(out / "report.md", originals, rows, distractors, results)
    # The Rust eval skips originals whose PDQ quality is below 50; `quell index build` does
    # not, so the same figures are also given without them (quality from `quell hash`).
    p, _ = run([a.quell, "hash", "-j", str(a.jobs), str(reg)])
    quality = {Path(l.split(" ", 2)[2]).stem: int(l.split(" ", 2)[1])
               for l in p.stdout.splitlines()}
    low = {k for k in originals if quality.get(k, 0) < 50}
    (out / "quality.json").write_text(json.dumps(quality, indent=0))
    keep = {k: v for k, v in originals.items() if k not in low}
    kept_rows = [r for r in rows if r["original"] not in low]
    res_q = {"seed": results["seed"], "commands": results["commands"] +
             [f"(originals with PDQ quality < 50 left out: {sorted(low)})"], "profiles": {}}
    for prof, v in results["profiles"].items():
        hq = {path: [(k, d) for k, d in hs if k not in low] for path, hs in v["hits"].items()}
        res_q["profiles"][prof] = dict(v, hits=hq)
    report(out / "report-q50.md", keep, kept_rows, distractors, res_q)
    print(f"total {time.time() - t0:.0f} s; report: {out / 'report.md'}", file=sys.stderr)


def report(path, originals, rows, distractors, results):
    n_orig = len(originals)
    L = []
    profs = list(results["profiles"])
    fams = list(dict.fromkeys(r["family"] for r in rows))
    groups = list(dict.fromkeys(GROUPS[f] for f in fams))
    score = {}
    for prof in profs:
        H = results["profiles"][prof]["hits"]
        fam_ok = collections.defaultdict(lambda: [0, 0])
        grp_ok = collections.defaultdict(lambda: [0, 0])
        set_grp = collections.defaultdict(lambda: [0, 0])
        misses, false = [], []
        for r in rows:
            got = dict(H.get(r["path"], []))
            ok = r["original"] in got
            s = originals[r["original"]]["set"]
            for acc in (fam_ok[r["family"]], grp_ok[GROUPS[r["family"]]],
                        set_grp[(s, GROUPS[r["family"]])]):
                acc[0] += ok
                acc[1] += 1
            if not ok:
                misses.append((r["path"], r["family"], r["variant"], min(got.values(), default=None)))
            for k, d in got.items():
                if k != r["original"]:
                    false.append(("variant", r["path"], k, d))
        for p in distractors:
            for k, d in H.get(p, []):
                false.append(("distractor", p, k, d))
        self_ok = 0
        for k, o in originals.items():
            got = dict(H.get(o["registered"], []))
            self_ok += k in got
            for kk, d in got.items():
                if kk != k:
                    false.append(("original", o["registered"], kk, d))
        def mean(keys, table):
            vals = [table[g][0] / table[g][1] for g in keys if table[g][1]]
            return sum(vals) / len(vals) if vals else float("nan")
        issue = [g for g in groups if g not in THORN]
        pairs = (len(rows) + len(distractors) + n_orig) * n_orig - len(rows) - n_orig
        score[prof] = dict(fam=fam_ok, grp=grp_ok, setg=set_grp, misses=misses, false=false,
                           self_ok=self_ok, mean15=mean(issue, grp_ok),
                           mean17=mean(groups, grp_ok), pairs=pairs,
                           mean_set={s: mean([(s, g) for g in issue], set_grp)
                                     for s in ("tuning", "holdout")})
    L.append(f"# Black-box robustness run (seed {results['seed']})\n")
    L.append(f"{n_orig} registered originals ({sum(o['set'] == 'tuning' for o in originals.values())}"
             f" tuning, {sum(o['set'] == 'holdout' for o in originals.values())} holdout), "
             f"{len(rows)} variants, {len(distractors)} distractors.\n")
    L.append("Commands:\n")
    for c in results["commands"]:
        L.append(f"    {c}")
    L.append("")
    L.append("| profile | mean recall (15 issue families) | tuning | holdout | mean incl. Thorn (17) "
             "| originals self-matched | false matches | false-match rate per impostor pair "
             "| closest false match | match time |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for prof in profs:
        s = score[prof]
        cl = min((f[3] for f in s["false"]), default=None)
        L.append(f"| `{prof}` | {s['mean15']:.3f} | {s['mean_set']['tuning']:.3f} | "
                 f"{s['mean_set']['holdout']:.3f} | {s['mean17']:.3f} | {s['self_ok']}/{n_orig} | "
                 f"{len(s['false'])} | {len(s['false']) / s['pairs']:.2e} | {cl} | "
                 f"{results['profiles'][prof]['match_seconds']:.0f} s |")
    L.append("")
    L.append("Per issue family (sub-families pooled):\n")
    L.append("| family | variants | " + " | ".join(f"`{p}`" for p in profs) + " | " +
             " | ".join(f"`{p}` tuning | `{p}` holdout" for p in profs) + " |")
    L.append("|---|---|" + "---|" * (3 * len(profs)))
    for g in groups:
        n = score[profs[0]]["grp"][g][1]
        cells = [f"{score[p]['grp'][g][0] / n:.3f}" for p in profs]
        sets = []
        for p in profs:
            for st in ("tuning", "holdout"):
                a = score[p]["setg"][(st, g)]
                sets.append(f"{a[0] / a[1]:.3f}" if a[1] else "-")
        L.append(f"| {g} | {n} | " + " | ".join(cells) + " | " + " | ".join(sets) + " |")
    L.append("")
    L.append("Per sub-family:\n")
    L.append("| sub-family | variants | " + " | ".join(f"`{p}`" for p in profs) + " |")
    L.append("|---|---|" + "---|" * len(profs))
    for f in fams:
        n = score[profs[0]]["fam"][f][1]
        L.append(f"| {f} | {n} | " + " | ".join(
            f"{score[p]['fam'][f][0]} ({score[p]['fam'][f][0] / n:.3f})" for p in profs) + " |")
    L.append("")
    for prof in profs:
        s = score[prof]
        L.append(f"## `{prof}`: false matches ({len(s['false'])}), closest first\n")
        for kind, p, k, d in sorted(s["false"], key=lambda f: f[3])[:30]:
            L.append(f"- {kind} `{p}` -> `{k}` at {d}")
        L.append("")
        fails = results["profiles"][prof]["errors"]
        if fails:
            L.append(f"match errors: {fails}\n")
        if results["profiles"][prof]["missing"]:
            L.append(f"not registered: {results['profiles'][prof]['missing']}\n")
    for prof in profs:
        if "v3" not in prof:
            continue
        s = score[prof]
        L.append(f"## `{prof}`: every miss ({len(s['misses'])})\n")
        L.append("| file | family | variant | nearest hit to anything |")
        L.append("|---|---|---|---|")
        for p, f, v, d in sorted(s["misses"], key=lambda m: (m[1], m[0])):
            L.append(f"| `{p}` | {f} | {v} | {d} |")
        L.append("")
    path.write_text("\n".join(L) + "\n")
    summary = {p: {"mean15": score[p]["mean15"], "mean17": score[p]["mean17"],
                   "mean_set": score[p]["mean_set"], "false": len(score[p]["false"]),
                   "misses": len(score[p]["misses"])} for p in profs}
    path.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
