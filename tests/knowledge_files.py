"""Files for knowledge-base tests, made in code (no fixtures on disk, no PDF library)."""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF with one Helvetica text line per string; an empty string is a blank line."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for pid, lines in zip(page_ids, pages, strict=True):
        ops = " ".join(f"({_escape(line)}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 760 Td {ops} ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {pid + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF_PAGES = [
    [
        "Shipping policy",
        "",
        "We ship to every country in the European Union within three business days.",
        "Orders above fifty euros ship free of charge.",
    ],
    [
        "Warranty",
        "",
        "Every espresso machine carries a two-year warranty against manufacturing defects.",
        "The warranty does not cover damage from limescale; descale the machine monthly.",
    ],
    [
        "Returns",
        "",
        "Unopened products can be returned within thirty days for a full refund.",
    ],
]

FAQ_CSV = (
    "question,answer,category\n"
    "How do I reset my password?,\"Open the login page, click 'Forgot password' and follow the e-mail link.\",account\n"
    "What are your opening hours?,Our support desk is open Monday to Friday from 9:00 to 17:00.,general\n"
    'Can I pay by bank transfer?,"Yes, pick bank transfer at checkout; we ship once it arrives.",billing\n'
    "How do I cancel my subscription?,Open Settings > Subscription and press Cancel; it ends with the period.,billing\n"
)
