"""Scans made from known text, for the OCR tests and benchmark: text drawn on a page or a PDF page
rendered to an image, degraded like a photocopy (skew, blur, speckles, grey paper, JPEG), saved as an
image-only PDF or spliced into a text PDF (mixed). Also the character error rate (CER)."""

from __future__ import annotations

import io
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

A4_INCHES = (8.27, 11.69)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class Degradation:
    """How a page is spoiled; the default is a clean scan."""

    angle: float = 0.0  # degrees
    blur: float = 0.0  # Gaussian radius in pixels
    speckles: float = 0.0  # share of pixels flipped to a random grey
    paper: int = 255  # grey level of the paper
    jpeg: int | None = None  # JPEG quality, None = lossless


CLEAN = Degradation()
# Close to the shared `scan-sans-couche-texte.pdf` (see ../shared/corpus/pdf/README.md), at 300 dpi.
NOISY = Degradation(angle=0.8, blur=0.8, speckles=0.004, paper=236, jpeg=65)


def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for folder in FONT_DIRS:
        if (folder / "DejaVuSerif.ttf").exists():
            return ImageFont.truetype(str(folder / "DejaVuSerif.ttf"), size)
    return ImageFont.load_default(size)  # Pillow's own font: fewer glyphs, enough for French letters


def _wrap(text: str, font, width: int) -> list[str]:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        for word in words:
            candidate = f"{line} {word}".strip()
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def text_pages(text: str, dpi: int = 300, point_size: float = 11.0) -> list[Image.Image]:
    """`text` drawn on A4 pages (blank line between paragraphs kept, no hyphenation), greyscale."""
    from PIL import Image, ImageDraw

    width, height = (round(d * dpi) for d in A4_INCHES)
    margin = round(dpi * 0.9)
    font = _font(round(point_size / 72 * dpi))
    step = round(point_size / 72 * dpi * 1.45)
    lines = _wrap(text, font, width - 2 * margin)
    per_page = max(1, (height - 2 * margin) // step)
    pages = []
    for start in range(0, len(lines), per_page):
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines[start : start + per_page]):
            draw.text((margin, margin + i * step), line, fill=0, font=font)
        pages.append(image)
    return pages


def render_pages(pdf: bytes, pages: Sequence[int], dpi: int = 300) -> list[Image.Image]:
    """Pages (1-based) of a PDF as greyscale images."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [document[p - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for p in pages]
    finally:
        document.close()


def degrade(image: Image.Image, how: Degradation, seed: int = 0) -> Image.Image:
    import numpy as np
    from PIL import Image, ImageFilter

    out = image.convert("L")
    if how.angle:
        out = out.rotate(how.angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if how.blur:
        out = out.filter(ImageFilter.GaussianBlur(how.blur))
    pixels = np.asarray(out, dtype=np.float32)
    pixels = pixels * (how.paper / 255.0)
    if how.speckles:
        rng = np.random.default_rng(seed)
        mask = rng.random(pixels.shape) < how.speckles
        pixels[mask] = rng.integers(0, 256, int(mask.sum()))
    out = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "L")
    if how.jpeg is not None:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=how.jpeg)
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return out


def image_pdf(images: Sequence[Image.Image], dpi: int = 300) -> bytes:
    """An image-only PDF: one image per page, no font, no text operator."""
    buffer = io.BytesIO()
    first, *rest = images
    # Fixed dates: the same scan gives the same bytes, so the OCR cache (by file fingerprint) holds across runs.
    when = time.gmtime(946684800)  # 2000-01-01
    first.save(buffer, "PDF", resolution=float(dpi), save_all=True, append_images=rest, creationDate=when,
               modDate=when)
    return buffer.getvalue()


def scanned_copy(pdf: bytes, scanned: Sequence[int] | None = None, how: Degradation = CLEAN, dpi: int = 300) -> bytes:
    """The PDF with the given pages (1-based; all by default) replaced by degraded images of themselves:
    an image-only PDF, or a mixed one whose other pages keep their text layer."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    count = len(reader.pages)
    chosen = list(range(1, count + 1)) if scanned is None else sorted(scanned)
    images = [degrade(img, how, seed=p) for p, img in zip(chosen, render_pages(pdf, chosen, dpi), strict=True)]
    scans = PdfReader(io.BytesIO(image_pdf(images, dpi)))
    writer = PdfWriter()
    for number in range(1, count + 1):
        writer.add_page(scans.pages[chosen.index(number)] if number in chosen else reader.pages[number - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ---- character error rate ---------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"-\n\s*")
_SPACES = re.compile(r"\s+")


def comparable(text: str) -> str:
    """Text reduced to what OCR is judged on: NFKC, typographic apostrophes and quotes, line-end
    hyphens joined, all whitespace as single spaces."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = _HYPHEN_BREAK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (a 3,000-character page takes ≈0.1 s)."""
    import numpy as np

    if not a or not b:
        return len(a) or len(b)
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    index = np.arange(len(b) + 1)
    previous = index.copy()
    for i, char in enumerate(a, 1):
        row = np.empty_like(previous)
        row[0] = i
        row[1:] = np.minimum(previous[:-1] + (codes != ord(char)), previous[1:] + 1)
        # insertions: row[j] = min over k ≤ j of row[k] + (j - k)
        previous = np.minimum.accumulate(row - index) + index
    return int(previous[-1])


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of `hypothesis` against `reference`, both made `comparable`."""
    ref, hyp = comparable(reference), comparable(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))
