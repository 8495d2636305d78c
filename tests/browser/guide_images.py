"""Small PNGs for docs/ENGINEERS.md from the browser tests' server (issue 15).

test_guide_images.py writes them into ``<artifacts>/guide``; after looking at them, a person copies
them into docs/img/ by hand (the tests never write into docs/). Each is cropped to the part the
guide talks about and quantised to a small palette without dithering, so text stays sharp and the
file stays under MAX_BYTES.
"""

import io

MAX_BYTES = 200_000
COLOURS = 48


def small_png(png, *, target, crop=None, width=None):
    """Write the PNG bytes ``png`` to ``target``, cropped to ``crop`` (left, top, right, bottom; cut
    at the image's edge) and scaled down to ``width`` pixels; returns the size written in bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if crop:
        left, top, right, bottom = crop
        image = image.crop((left, top, min(right, image.width), min(bottom, image.height)))
    if width and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    image = image.quantize(colors=COLOURS, dither=Image.Dither.NONE)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, optimize=True)
    return target.stat().st_size


def first_pdf_page(pdf, *, scale=1.4):
    """The first page of a PDF (bytes) as PNG bytes (pypdfium2, a development requirement)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
