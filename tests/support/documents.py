"""Carrier-label documents as carriers send them: a PDF with a text layer, a scanned PDF (an image
only, no text), and ZPL — each carrying the tracking number it is given."""

from __future__ import annotations

import io


def pdf_label(tracking_number: str, carrier: str = "Cainiao") -> bytes:
    """A real 4×6 PDF whose text layer carries the number (as a logistics provider's label does)."""
    from reportlab.graphics.barcode import code128
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(4 * inch, 6 * inch))
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(0.3 * inch, 5.4 * inch, carrier)
    code128.Code128(tracking_number, barHeight=inch).drawOn(pdf, 0.3 * inch, 3.8 * inch)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(0.3 * inch, 3.5 * inch, tracking_number)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A PDF with no text layer at all: a scan (here, drawn shapes only)."""
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(4 * inch, 6 * inch))
    for row in range(20):
        pdf.rect(0.3 * inch, (0.3 + row * 0.25) * inch, (1 + row % 5) * 0.5 * inch, 0.1 * inch, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def zpl_label(tracking_number: str) -> bytes:
    return (
        "^XA^CI28^FO40,40^A0N,40,40^FDCARRIER^FS"
        f"^FO60,160^BY2^BCN,200,N,N,N^FD{tracking_number}^FS"
        f"^FO60,400^A0N,40,40^FD{tracking_number}^FS^XZ"
    ).encode()
