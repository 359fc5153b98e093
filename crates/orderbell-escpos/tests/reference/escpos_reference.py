#!/usr/bin/env python3
"""Reference bytes from python-escpos' Dummy printer, for orderbell-escpos' tests.

Prints one case per line: `<name> <hex>`. The Rust test tests/it/python_reference.rs
builds the same cases with orderbell-escpos and compares. Exit code 3 means
python-escpos (or Pillow) is not installed.

Also prints the code-page and KS X 1001 tables as Python's own codecs decode them,
as an independent check of our encoders:
  codepage_<name> <hex byte>=<hex code point>,...
  ksx1001 <hex pair>=<hex code point>,...
"""

import sys

try:
    from escpos.printer import Dummy
    from PIL import Image
except ImportError as err:  # pragma: no cover - reported by the Rust test
    print(f"python-escpos not importable: {err}", file=sys.stderr)
    sys.exit(3)


# python-escpos prints warnings on stdout; results go to the real stdout only.
OUT = sys.stdout


def emit(name, data):
    print(name, data.hex(), file=OUT)


def pattern(x, y):
    """Same function as `pattern` in tests/it/python_reference.rs."""
    return (x * 7 + y * 13) % 11 < 4 or x == y


def image(width, height):
    img = Image.new("L", (width, height), 255)
    for y in range(height):
        for x in range(width):
            if pattern(x, y):
                img.putpixel((x, y), 0)
    return img


def main():
    sys.stdout = sys.stderr
    # QR codes, printed natively (GS ( k).
    ec_levels = {"L": 0, "M": 1, "Q": 2, "H": 3}
    contents = {
        "url": "https://orderbell.example/t/AbC123",
        "hangul": "주문 42 똠양꿍",
        "digits": "0123456789",
    }
    for cname, content in contents.items():
        for ec_name, ec in ec_levels.items():
            for size in (1, 3, 6, 16):
                p = Dummy()
                p.qr(content, ec=ec, size=size, native=True)
                emit(f"qr_native_{cname}_{ec_name}_{size}", p.output)

    # QR codes drawn as images by the `qrcode` library (border 1): compared on the
    # raster only, when both libraries pick the same mask.
    for cname, content in contents.items():
        p = Dummy()
        p.qr(content, ec=1, size=4, native=False)
        emit(f"qr_image_{cname}_M_4", p.output)

    # Raster images (GS v 0), split into fragments of `fragment_height` rows.
    for width, height, fragment in (
        (8, 8, 960),
        (61, 40, 960),
        (100, 5, 2),
        (384, 300, 128),
        (576, 30, 960),
    ):
        p = Dummy()
        p.image(image(width, height), impl="bitImageRaster", fragment_height=fragment)
        emit(f"image_{width}x{height}_{fragment}", p.output)

    # Cuts (feed 6 lines first, python-escpos' default).
    p = Dummy()
    p.cut()
    emit("cut_full", p.output)
    p = Dummy()
    p.cut(mode="PART")
    emit("cut_partial", p.output)

    # Cash drawer kick: five bytes.
    for pin in (2, 5):
        p = Dummy()
        p.cashdraw(pin)
        emit(f"cashdraw_{pin}", p.output)
    p = Dummy()
    p.cashdraw([27, 112, 1, 25, 250])
    emit("cashdraw_5_25_250", p.output)

    # Buzzer.
    for times, duration in ((1, 1), (2, 4), (9, 9)):
        p = Dummy()
        p.buzzer(times, duration)
        emit(f"buzzer_{times}_{duration}", p.output)

    # Python's codecs: high half of each code page, and every KS X 1001 pair.
    for name in ("cp437", "cp858", "cp1252"):
        entries = []
        for byte in range(0x80, 0x100):
            try:
                ch = bytes([byte]).decode(name)
            except UnicodeDecodeError:
                continue
            entries.append(f"{byte:02x}={ord(ch):x}")
        print(f"codepage_{name}", ",".join(entries), file=OUT)
    entries = []
    for lead in range(0xA1, 0xFF):
        for trail in range(0xA1, 0xFF):
            try:
                ch = bytes([lead, trail]).decode("euc_kr")
            except UnicodeDecodeError:
                continue
            entries.append(f"{lead:02x}{trail:02x}={ord(ch):x}")
    print("ksx1001", ",".join(entries), file=OUT)


if __name__ == "__main__":
    main()
