#!/usr/bin/env python3
"""Renders a terminal capture with ANSI colours (tmux `capture-pane -e -p`) to a PNG.

Usage: ansi2png.py CAPTURE.txt OUT.png [--cols N] [--rows N]
Reads SGR sequences (bold, reverse, 16/256/truecolor fg/bg) and draws each cell with DejaVu Sans
Mono, so the picture shows exactly what the terminal showed.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
# Glyphs the monospaced face lacks (braille spinner frames) come from DejaVu Sans.
FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BG = (24, 26, 33)
FG = (220, 223, 228)
BASE16 = [(40, 42, 54), (224, 108, 117), (152, 195, 121), (229, 192, 123), (97, 175, 239), (198, 120, 221), (86, 182, 194),
          (220, 223, 228), (92, 99, 112), (240, 128, 136), (172, 215, 141), (249, 212, 143), (117, 195, 255), (218, 140, 241),
          (106, 202, 214), (255, 255, 255)]


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def parse(text, cols, rows):
    grid = [[(" ", FG, BG, False) for _ in range(cols)] for _ in range(rows)]
    fg, bg, bold, reverse = FG, BG, False, False
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", token)
            if m:
                codes = [int(c) if c else 0 for c in m.group(1).split(";")] if m.group(1) else [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse = FG, BG, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 39:
                        fg = FG
                    elif c == 49:
                        bg = BG
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            col = color256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            col = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            col = FG
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    i += 1
                continue
            for ch in token:
                if x >= cols:
                    break
                f, b = (bg, fg) if reverse else (fg, bg)
                grid[y][x] = (ch, f, b, bold)
                x += 1
    return grid


def main():
    args = sys.argv[1:]
    cols = rows = None
    if "--cols" in args:
        i = args.index("--cols"); cols = int(args[i + 1]); del args[i:i + 2]
    if "--rows" in args:
        i = args.index("--rows"); rows = int(args[i + 1]); del args[i:i + 2]
    src, out = args
    text = open(src, encoding="utf-8", errors="replace").read().rstrip("\n")
    lines = text.split("\n")
    rows = rows or len(lines)
    cols = cols or max(len(re.sub(r"\x1b\[[0-9;]*m", "", l)) for l in lines)
    font = ImageFont.truetype(FONT, 15)
    bold = ImageFont.truetype(BOLD, 15)
    fallback = ImageFont.truetype(FALLBACK, 15)
    cw = int(font.getlength("M"))
    ch = 19
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(parse(text, cols, rows)):
        for x, (c, f, b, bo) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if b != BG:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=b)
            if c != " ":
                face = fallback if 0x2800 <= ord(c) <= 0x28FF else (bold if bo else font)
                draw.text((px, py + 1), c, font=face, fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
