"""The guard's own 4×6 shipping label: ZPL II for thermal printers, PDF for a browser.

Used only when the ERP has not handed over the carrier's own label. Both carry
the same fields: carrier, tracking number (Code 128 and text), order, parcel,
station and time of issue.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

DPI = 203  # the common thermal print head
WIDTH_IN, HEIGHT_IN = 4, 6

_ZPL_UNSAFE = re.compile(r"[\^~\x00-\x1f]")  # ^ and ~ start ZPL commands; control chars break the stream


@dataclass(frozen=True, slots=True)
class LabelFields:
    order_id: str
    parcel_id: str
    tracking_number: str
    carrier: str | None
    station_id: str | None
    issued_at: datetime


def _zpl_text(value: str | None) -> str:
    return _ZPL_UNSAFE.sub(" ", value or "")


def render_zpl(fields: LabelFields) -> str:
    width, height = WIDTH_IN * DPI, HEIGHT_IN * DPI
    when = fields.issued_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "^XA",
        "^CI28",  # UTF-8 field data
        f"^PW{width}",
        f"^LL{height}",
        f"^FO40,40^A0N,56,56^FD{_zpl_text(fields.carrier) or 'CARRIER'}^FS",
        "^FO40,120^GB732,4,4^FS",
        f"^FO60,160^BY3^BCN,240,N,N,N^FD{_zpl_text(fields.tracking_number)}^FS",
        f"^FO60,420^A0N,48,48^FD{_zpl_text(fields.tracking_number)}^FS",
        "^FO40,500^GB732,4,4^FS",
        f"^FO40,540^A0N,40,40^FDOrder {_zpl_text(fields.order_id)}^FS",
        f"^FO40,600^A0N,40,40^FDParcel {_zpl_text(fields.parcel_id)}^FS",
        f"^FO40,660^A0N,32,32^FDStation {_zpl_text(fields.station_id) or '-'}^FS",
        f"^FO40,710^A0N,32,32^FD{when}^FS",
        "^FO40,1120^A0N,28,28^FDCleared by Dispatch Guard^FS",
        "^XZ",
    ]
    return "\n".join(lines) + "\n"


def render_pdf(fields: LabelFields) -> bytes:
    from reportlab.graphics.barcode import code128
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    width, height = WIDTH_IN * inch, HEIGHT_IN * inch
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Label {fields.order_id}/{fields.parcel_id}")
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(0.2 * inch, height - 0.5 * inch, fields.carrier or "CARRIER")
    pdf.line(0.2 * inch, height - 0.65 * inch, width - 0.2 * inch, height - 0.65 * inch)
    barcode = code128.Code128(fields.tracking_number, barHeight=1.1 * inch, barWidth=0.011 * inch, humanReadable=False)
    barcode.drawOn(pdf, (width - barcode.width) / 2, height - 2.0 * inch)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawCentredString(width / 2, height - 2.3 * inch, fields.tracking_number)
    pdf.line(0.2 * inch, height - 2.5 * inch, width - 0.2 * inch, height - 2.5 * inch)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(0.2 * inch, height - 2.85 * inch, f"Order {fields.order_id}")
    pdf.drawString(0.2 * inch, height - 3.15 * inch, f"Parcel {fields.parcel_id}")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(0.2 * inch, height - 3.45 * inch, f"Station {fields.station_id or '-'}")
    pdf.drawString(0.2 * inch, height - 3.7 * inch, fields.issued_at.strftime("%Y-%m-%d %H:%M UTC"))
    pdf.setFont("Helvetica-Oblique", 9)
    pdf.drawString(0.2 * inch, 0.3 * inch, "Cleared by Dispatch Guard")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
