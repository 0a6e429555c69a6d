"""The guard's own 4×6 parcel tag: ZPL II for thermal printers, PDF for a browser.

It is a **parcel tag**, not a shipping label: carrier, tracking number (Code 128
and text), order, parcel, station and time of issue — no recipient, no sender.
It goes beside the carrier's label, and says so on its face. When the ERP hands
the carrier's own label over (escrow), that document is released instead.

What must hold on any printer:

- The barcode decodes to the stored tracking number, whatever it holds (`^`, `~`,
  `>`, control characters: `guard.barcode`), and fits: any number up to 30
  characters at a two- or three-dot module, longer ones down to one dot.
- Text fields are `^FH`-escaped, so `^`, `~` and `_` print as themselves.
- Nothing relies on a printer font beyond font 0 (which has no CJK glyphs on a
  stock Zebra profile): text outside ASCII is drawn as a `^GF` graphic with a
  CJK TrueType font, or — without one — printed by its Latin name.
- The PDF embeds that TrueType font, so Chinese is real, searchable text.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from guard import barcode

DPI = 203  # the common thermal print head
WIDTH_IN, HEIGHT_IN = 4, 6
WIDTH, HEIGHT = WIDTH_IN * DPI, HEIGHT_IN * DPI  # in dots
MARGIN = 40
ROOM = WIDTH - 2 * MARGIN

TAG_TITLE = "PARCEL TAG"
TAG_HINT = "attach beside the carrier label"
TAG_HINT_ZH = "包裹标签：贴在物流面单旁"
NO_BARCODE = "NO BARCODE: Code 128 cannot carry this number on 4 inches — scan the order id"

# TrueType fonts with CJK outlines (reportlab embeds TrueType only, not the
# CFF-based OpenType of Noto CJK). Debian: fonts-wqy-zenhei.
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)

# Without a CJK font, the carriers AliExpress sellers ship with most, by their Latin names.
LATIN_NAMES = {
    "菜鸟": "CAINIAO",
    "云途": "YUNEXPRESS",
    "燕文": "YANWEN",
    "递四方": "4PX",
    "顺丰": "SF EXPRESS",
    "中国邮政": "CHINA POST",
    "邮政": "CHINA POST",
    "万色": "WANB",
    "纵腾": "ZONGTENG",
    "极兔": "J&T",
}


FONT0_ADVANCE = {
    **dict.fromkeys("0123456789", 0.5),
    **dict.fromkeys(" .,:;'!iIl()[]", 0.35),
    **dict.fromkeys("Mmw", 0.78),
    **dict.fromkeys("W<>@-%", 0.96),
}


@dataclass(frozen=True, slots=True)
class LabelFields:
    order_id: str
    parcel_id: str
    tracking_number: str
    carrier: str | None
    station_id: str | None
    issued_at: datetime


@functools.cache
def cjk_font() -> Path | None:
    """The first CJK TrueType font installed, or None (then Chinese prints by Latin name)."""
    return next((path for path in CJK_FONTS if path.is_file()), None)


def visible(text: str) -> str:
    """Control characters as <XX>: printed text a person can read back and type."""
    return "".join(f"<{ord(ch):02X}>" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


def latin(text: str) -> str:
    """Text a printer without CJK glyphs can print: a known carrier's Latin name, else
    accents dropped and anything else outside ASCII shown as '?'."""
    for name, latin_name in LATIN_NAMES.items():
        if name in text:
            return latin_name
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch if ch.isascii() else "?" for ch in folded if not unicodedata.combining(ch))


# --- ZPL ---------------------------------------------------------------------------


def _font0_width(text: str) -> float:
    """The text's width in font 0, in units of the font's width parameter (measured on a
    ZD621 profile: digits ~0.47, most capitals ~0.6, W 0.82; rounded up)."""
    return sum(FONT0_ADVANCE.get(ch, 0.65) for ch in text)


def _zpl_escaped(text: str) -> str:
    # With ^FH, `_XX` is a byte: ^ and ~ would start commands, _ is the escape itself.
    return "".join(f"_{ord(ch):02X}" if ch in "^~_" or ord(ch) < 32 else ch for ch in text)


def _zpl_text(x: int, y: int, height: int, text: str, room: int = ROOM) -> str:
    """One line of text at (x, y), narrowed to fit `room` dots."""
    text = visible(text)
    if not text.isascii():
        font = cjk_font()
        if font is not None:
            return f"^FO{x},{y}{_graphic_field(text, height, room, font)}^FS"  # any printer prints a graphic
        text = latin(text)
    # Too long for the room: narrow the font (font 0 scales its width alone), never clip the text.
    width = max(10, min(height, int(room / max(_font0_width(text), 0.1))))
    return f"^FO{x},{y}^A0N,{height},{width}^FH^FD{_zpl_escaped(text)}^FS"


@functools.lru_cache(maxsize=256)
def _graphic_field(text: str, height: int, room: int, font_path: Path) -> str:
    """Text drawn with a TrueType font as a `^GF` graphic field."""
    image = _bitmap(text, height, room, font_path)
    # PIL's "1" mode has 1 = white; ZPL's graphic field has 1 = a printed dot.
    data = bytes(byte ^ 0xFF for byte in image.tobytes())
    return f"^GFA,{len(data)},{len(data)},{image.width // 8},{data.hex().upper()}"


@functools.lru_cache(maxsize=64)
def _truetype(font_path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path), size)


@functools.lru_cache(maxsize=256)
def _bitmap(text: str, height: int, room: int, font_path: Path):
    """One line of text as a 1-bit image, one pixel a printer dot, at most `room` wide.
    Cached: a label's fixed lines and a warehouse's few carrier names are drawn once."""
    from PIL import Image, ImageDraw

    font = _truetype(font_path, height)
    left, top, right, bottom = font.getbbox(text)
    if right - left > room:  # too wide: a smaller size, not a clipped line
        font = _truetype(font_path, max(8, height * room // (right - left)))
        left, top, right, bottom = font.getbbox(text)
    image = Image.new("1", (-(-(right - left) // 8) * 8, max(bottom - top, 1)), 1)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=0)
    return image


def _zpl_barcode(y: int, height: int, code: barcode.Code128) -> str | None:
    module = barcode.module_width(code, WIDTH)
    if module is None:
        return None
    x = (WIDTH - code.modules * module) // 2  # centred: the quiet zones are equal and on the label
    return f"^FO{x},{y}^BY{module}^BCN,{height},N,N,N^FD{code.zpl_field()}^FS"


def render_zpl(fields: LabelFields) -> str:
    when = fields.issued_at.strftime("%Y-%m-%d %H:%M UTC")
    code = barcode.encode(fields.tracking_number)
    bars = _zpl_barcode(280, 220, code) if code is not None else None
    lines = [
        "^XA",
        f"^PW{WIDTH}",
        f"^LL{HEIGHT}",
        _zpl_text(MARGIN, 25, 48, TAG_TITLE),
        _zpl_text(MARGIN, 80, 30, TAG_HINT),
    ]
    if cjk_font() is not None:
        lines.append(_zpl_text(MARGIN, 115, 30, TAG_HINT_ZH))
    lines += [
        f"^FO{MARGIN},155^GB{ROOM},4,4^FS",
        _zpl_text(MARGIN, 175, 56, fields.carrier or "CARRIER"),
        f"^FO{MARGIN},250^GB{ROOM},4,4^FS",
        bars or _zpl_text(MARGIN, 360, 28, NO_BARCODE.replace("—", "-")),
        _zpl_text(MARGIN, 520, 48, fields.tracking_number),
        f"^FO{MARGIN},585^GB{ROOM},4,4^FS",
        _zpl_text(MARGIN, 610, 40, f"Order {fields.order_id}"),
        _zpl_text(MARGIN, 665, 40, f"Parcel {fields.parcel_id}"),
        _zpl_text(MARGIN, 725, 32, f"Station {fields.station_id or '-'}"),
        _zpl_text(MARGIN, 770, 32, when),
        _zpl_text(MARGIN, 1120, 28, "Cleared by Dispatch Guard - no address: not a shipping label"),
        "^XZ",
    ]
    return "\n".join(lines) + "\n"


# --- PDF ---------------------------------------------------------------------------


def _pdf_cjk_font() -> str | None:
    """The CJK TrueType font's name with reportlab (registered on first use), or None."""
    path = cjk_font()
    if path is None:
        return None
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "GuardCJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("GuardCJK", str(path), subfontIndex=0))
    return "GuardCJK"


def _pdf_text(pdf, x: float, y: float, size: float, text: str, font: str = "Helvetica", room: float = 0) -> None:
    """A line in Helvetica if it can carry it (Latin-1 and a few more), else in the CJK font."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = visible(text)
    try:
        text.encode("cp1252")  # Helvetica's WinAnsi encoding
    except UnicodeEncodeError:
        font = _pdf_cjk_font() or font
        if font.startswith("Helvetica"):
            text = latin(text)
    if room and stringWidth(text, font, size) > room:
        size = size * room / stringWidth(text, font, size)
    pdf.setFont(font, size)
    pdf.drawString(x, y, text)


def _pdf_barcode(code: barcode.Code128):
    from reportlab.graphics.barcode.code128 import Code128

    class Symbols(Code128):
        """reportlab draws the bars; the symbols are ours (the same as the ZPL's)."""

        def validate(self):
            self.valid, self.validated = 1, self.value
            return self.value

        def encode(self):
            self.encoded = code.codes
            return self.encoded

    module = barcode.module_width(code, WIDTH)
    if module is None:
        return None
    bar = module * 72 / DPI  # whole printer dots, in points
    return Symbols(code.value, barWidth=bar, barHeight=1.1 * 72, humanReadable=False, lquiet=10 * bar, rquiet=10 * bar)


def render_pdf(fields: LabelFields) -> bytes:
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    width, height = WIDTH_IN * inch, HEIGHT_IN * inch
    left, room = 0.2 * inch, width - 0.4 * inch
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Parcel tag {fields.order_id}/{fields.parcel_id}")
    _pdf_text(pdf, left, height - 0.3 * inch, 16, f"{TAG_TITLE} — {TAG_HINT}", "Helvetica-Bold", room)
    font = cjk_font()
    if font is not None:  # as an image: embedding the font costs a PDF ~40 ms, so only a Chinese name pays it
        from reportlab.lib.utils import ImageReader

        hint = _bitmap(TAG_HINT_ZH, 30, ROOM, font)
        dot = inch / DPI
        pdf.drawImage(ImageReader(hint.convert("L")), left, height - 0.52 * inch, hint.width * dot, hint.height * dot)
    pdf.line(left, height - 0.58 * inch, width - left, height - 0.58 * inch)
    _pdf_text(pdf, left, height - 0.9 * inch, 20, fields.carrier or "CARRIER", "Helvetica-Bold", room)
    pdf.line(left, height - 1.05 * inch, width - left, height - 1.05 * inch)
    code = barcode.encode(fields.tracking_number)
    bars = _pdf_barcode(code) if code is not None else None
    if bars is not None:
        bars.drawOn(pdf, (width - bars.width) / 2, height - 2.35 * inch)
    else:
        _pdf_text(pdf, left, height - 1.8 * inch, 10, NO_BARCODE, room=room)
    _pdf_text(pdf, left, height - 2.65 * inch, 16, fields.tracking_number, "Helvetica-Bold", room)
    pdf.line(left, height - 2.8 * inch, width - left, height - 2.8 * inch)
    _pdf_text(pdf, left, height - 3.1 * inch, 14, f"Order {fields.order_id}", room=room)
    _pdf_text(pdf, left, height - 3.4 * inch, 14, f"Parcel {fields.parcel_id}", room=room)
    _pdf_text(pdf, left, height - 3.7 * inch, 11, f"Station {fields.station_id or '-'}", room=room)
    _pdf_text(pdf, left, height - 3.95 * inch, 11, fields.issued_at.strftime("%Y-%m-%d %H:%M UTC"))
    _pdf_text(
        pdf, left, 0.3 * inch, 9, "Cleared by Dispatch Guard — no address: not a shipping label", "Helvetica-Oblique"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
