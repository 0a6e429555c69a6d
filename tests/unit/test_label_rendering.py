"""The parcel tag as a warehouse prints it: rendered by a real ZPL renderer, read back by a real scanner.

ZPL goes through `zplkit` (a ZPL renderer with a stock Zebra ZD621 203-dpi profile)
to an image; PDF through `pdftoppm`; every barcode is decoded by `zbarimg` and
must give back the stored tracking number exactly. The PDF's text layer is read
with `pdftotext`. Without these tools the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guard import barcode, labels
from guard.labels import LabelFields, render_pdf, render_zpl

from support.services import service_missing

try:
    import zplkit
except ImportError as exc:  # the dev extra installs it
    ZPLKIT_MISSING: ImportError | None = exc
else:
    ZPLKIT_MISSING = None

ISSUED = datetime(2025, 11, 11, 0, 30, tzinfo=UTC)

# Real shapes: USPS (22 and 26 digits), UPS 1Z (18), Cainiao/AliExpress (LP + digits + CN),
# S10 postal (13), and the longest the guard promises to fit: 30 digits and 30 mixed.
TRACKING_NUMBERS = [
    "LP00123456789012",  # 16, Cainiao
    "RB123456785CN",  # 13, S10 China Post
    "9400111899223344556677",  # 22, USPS
    "92001903123456789012345678",  # 26, USPS with routing
    "1Z999AA10123456784",  # 18, UPS
    "LP0012345678901234567890CN",  # 26, Cainiao long
    "YT2310021234567890",  # 18, YunExpress
    "0123456789",  # 10, digits only
    "ABCDEFGHJK",  # 10, letters only
    "940011189922334455667788990011",  # 30, digits
    "UH0123ABCD4567EFGH8901IJKL23MN",  # 30, mixed
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",  # 30 of the widest glyph: the text line must fit too
]

# Characters ZPL reads as commands (^ ~), Code 128's own invocation sign (>), the
# ^FH escape (_), lower case, DEL and control characters: stored numbers the
# guard must never refuse, whose barcode must still scan as stored.
AWKWARD_NUMBERS = [
    "LP^123~456>789_CN",
    "AB>0C><D>=E",
    "lp00123456789cn",
    "LP\x01123\x1f456\x7f",
    "^^^~~~>>>___",
]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        service_missing(tool, FileNotFoundError(f"{tool} (apt-get install zbar-tools poppler-utils)"))
    return path


def fields(tracking: str, carrier: str | None = "Cainiao") -> LabelFields:
    return LabelFields("8123456789012345", "1", tracking, carrier, "pack-01", ISSUED)


def scan(image: Path) -> list[bytes]:
    """Every Code 128 symbol zbarimg finds in the image, as raw bytes."""
    result = subprocess.run(
        [need("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(image)],
        capture_output=True,
        check=False,
    )
    return [line for line in result.stdout.split(b"\n") if line]


def zpl_image(zpl: str, tmp_path: Path) -> Path:
    if ZPLKIT_MISSING is not None:
        service_missing("zplkit (ZPL renderer)", ZPLKIT_MISSING)
    document = zplkit.render(zpl.encode("ascii"), zplkit.Options(profile="zd621", dpi=labels.DPI))
    assert len(document.labels) == 1
    scene = document.labels[0]
    assert (scene.width, scene.height) == (labels.WIDTH, labels.HEIGHT), "a 4×6 label at 203 dpi"
    path = tmp_path / "label.png"
    path.write_bytes(scene.png())
    return path


def pdf_image(pdf: bytes, tmp_path: Path, dpi: int = labels.DPI) -> Path:
    source = tmp_path / "label.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [need("pdftoppm"), "-r", str(dpi), "-png", "-singlefile", str(source), str(tmp_path / "page")], check=True
    )
    return tmp_path / "page.png"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run([need("pdftotext"), str(source), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def without_cjk_font(monkeypatch):
    """A printer host without fonts-wqy-zenhei (or any CJK TrueType font)."""
    monkeypatch.setattr(labels, "CJK_FONTS", ())
    labels.cjk_font.cache_clear()
    yield
    labels.cjk_font.cache_clear()


# --- the ZPL label ----------------------------------------------------------------------------


@pytest.mark.parametrize("tracking", TRACKING_NUMBERS, ids=lambda t: f"{len(t)}-{t[:6]}")
def test_a_zpl_label_barcode_scans_as_the_tracking_number_up_to_30_characters(tracking, tmp_path):
    assert scan(zpl_image(render_zpl(fields(tracking)), tmp_path)) == [tracking.encode()]


@pytest.mark.parametrize("tracking", AWKWARD_NUMBERS, ids=repr)
def test_a_zpl_label_barcode_scans_as_stored_whatever_characters_the_number_holds(tracking, tmp_path):
    zpl = render_zpl(fields(tracking))
    assert scan(zpl_image(zpl, tmp_path)) == [tracking.encode()]
    # Nothing of the number reached the printer as a command or a control byte.
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "~" not in zpl
    assert all(ch == "\n" or 32 <= ord(ch) < 127 for ch in zpl)


def test_digit_runs_use_code_128_subset_c_so_long_numbers_stay_wide_enough_to_scan():
    usps = barcode.encode("9400111899223344556677")
    assert usps.runs == (("C", "9400111899223344556677"),)
    assert barcode.module_width(usps, labels.WIDTH) == 3  # the widest the guard prints
    cainiao = barcode.encode("LP0012345678901234567890CN")
    assert ("C", "0012345678901234567890") in cainiao.runs
    mixed = barcode.encode("UH0123ABCD4567EFGH8901IJKL23MN")
    assert barcode.module_width(mixed, labels.WIDTH) == 2  # 30 mixed characters still get two dots a module


def test_the_barcode_and_its_quiet_zones_lie_inside_the_label(tmp_path):
    tracking = "UH0123ABCD4567EFGH8901IJKL23MN"
    code = barcode.encode(tracking)
    module = barcode.module_width(code, labels.WIDTH)
    left = (labels.WIDTH - code.modules * module) // 2
    assert left >= barcode.QUIET_MODULES * module
    assert left + code.modules * module + barcode.QUIET_MODULES * module <= labels.WIDTH


def test_a_number_code_128_cannot_carry_prints_as_text_and_says_so(tmp_path):
    zpl = render_zpl(fields("LP123４５６CN"))  # full-width digits: outside ASCII
    assert "^BC" not in zpl
    assert "NO BARCODE" in zpl
    assert scan(zpl_image(zpl, tmp_path)) == []


def test_a_number_too_long_for_any_module_width_prints_as_text_and_says_so(tmp_path):
    tracking = "AbCdEfGhIj" * 8  # 80 characters: even one-dot modules would run off the label
    zpl = render_zpl(fields(tracking))
    assert "^BC" not in zpl and "NO BARCODE" in zpl
    assert scan(zpl_image(zpl, tmp_path)) == []
    pdf = render_pdf(fields(tracking))
    assert "NO BARCODE" in pdf_text(pdf, tmp_path)


def test_the_zpl_label_is_a_parcel_tag_with_no_recipient_or_sender():
    zpl = render_zpl(fields("LP00123456789012"))
    assert "PARCEL TAG" in zpl and "attach beside the carrier label" in zpl
    for field in ("Order 8123456789012345", "Parcel 1", "Station pack-01", "2025-11-11 00:30 UTC", "Cainiao"):
        assert field in zpl, field


def test_a_chinese_carrier_name_prints_as_a_graphic_on_a_stock_printer_profile(tmp_path):
    if labels.cjk_font() is None:
        service_missing("a CJK TrueType font", FileNotFoundError("apt-get install fonts-wqy-zenhei"))
    zpl = render_zpl(fields("LP00123456789012", carrier="菜鸟"))
    assert zpl.isascii(), "no CJK bytes for a printer font that has no CJK glyphs"
    assert "^GFA" in zpl and "^CI28" not in zpl
    image = zpl_image(zpl, tmp_path)  # renders on the stock ZD621 profile
    assert scan(image) == [b"LP00123456789012"]


def test_without_a_cjk_font_a_chinese_carrier_prints_by_its_latin_name(without_cjk_font, tmp_path):
    zpl = render_zpl(fields("LP00123456789012", carrier="菜鸟"))
    assert "^GF" not in zpl and "CAINIAO" in zpl
    assert scan(zpl_image(zpl, tmp_path)) == [b"LP00123456789012"]


# --- the PDF label ----------------------------------------------------------------------------


@pytest.mark.parametrize("tracking", TRACKING_NUMBERS + AWKWARD_NUMBERS, ids=lambda t: f"{len(t)}-{t[:6]!r}")
def test_a_pdf_label_barcode_scans_as_the_tracking_number(tracking, tmp_path):
    pdf = render_pdf(fields(tracking))
    assert scan(pdf_image(pdf, tmp_path)) == [tracking.encode()]


def test_the_pdf_prints_chinese_as_real_text_in_an_embedded_font(tmp_path):
    if labels.cjk_font() is None:
        service_missing("a CJK TrueType font", FileNotFoundError("apt-get install fonts-wqy-zenhei"))
    pdf = render_pdf(fields("LP00123456789012", carrier="菜鸟"))
    text = pdf_text(pdf, tmp_path)
    assert "菜鸟" in text
    assert "PARCEL TAG" in text and "attach beside the carrier label" in text
    assert "LP00123456789012" in text and "Order 8123456789012345" in text
    assert b"/FontFile2" in pdf, "the TrueType font is embedded, not referenced"
    assert scan(pdf_image(pdf, tmp_path, dpi=300)) == [b"LP00123456789012"]


def test_without_a_cjk_font_the_pdf_is_a_latin_label_not_a_crash(without_cjk_font, tmp_path):
    pdf = render_pdf(fields("LP00123456789012", carrier="菜鸟"))
    text = pdf_text(pdf, tmp_path)
    assert "CAINIAO" in text and "菜鸟" not in text
    assert scan(pdf_image(pdf, tmp_path)) == [b"LP00123456789012"]
