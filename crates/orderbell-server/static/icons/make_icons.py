#!/usr/bin/env python3
"""Draws Orderbell's app icons (a white bell on the brand colour) with Pillow.

Run from this folder: python3 make_icons.py. The PNGs are committed; rerun only to change them.
Maskable icons keep the bell inside the central 80% safe zone and fill the whole square.
"""
from PIL import Image, ImageDraw

BRAND = (194, 65, 12)      # #c2410c, the theme colour
WHITE = (255, 255, 255)


def bell(draw, cx, cy, s):
    """A bell of height about s centred at (cx, cy)."""
    top = cy - 0.42 * s
    # Body: a rounded dome and a flared skirt.
    draw.ellipse([cx - 0.26 * s, top, cx + 0.26 * s, top + 0.5 * s], fill=WHITE)
    draw.polygon([
        (cx - 0.26 * s, top + 0.25 * s), (cx + 0.26 * s, top + 0.25 * s),
        (cx + 0.34 * s, cy + 0.22 * s), (cx - 0.34 * s, cy + 0.22 * s),
    ], fill=WHITE)
    draw.rounded_rectangle([cx - 0.42 * s, cy + 0.16 * s, cx + 0.42 * s, cy + 0.28 * s],
                           radius=0.06 * s, fill=WHITE)
    # Clapper and the knob on top.
    draw.ellipse([cx - 0.09 * s, cy + 0.27 * s, cx + 0.09 * s, cy + 0.43 * s], fill=WHITE)
    draw.ellipse([cx - 0.06 * s, top - 0.09 * s, cx + 0.06 * s, top + 0.03 * s], fill=WHITE)


def icon(size, maskable, name):
    scale = 4  # draw large, then shrink: smooth edges
    big = size * scale
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle([0, 0, big, big], fill=BRAND)
        bell(d, big / 2, big / 2, big * 0.52)
    else:
        d.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.22, fill=BRAND)
        bell(d, big / 2, big / 2, big * 0.68)
    img.resize((size, size), Image.LANCZOS).save(name, optimize=True)


icon(192, False, "icon-192.png")
icon(512, False, "icon-512.png")
icon(192, True, "maskable-192.png")
icon(512, True, "maskable-512.png")
icon(180, True, "apple-touch-icon.png")
