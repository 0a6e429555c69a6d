"""What each reason says: to the packer (en, zh), to the office (en, zh) and to the buyer.

Each language lives in its own module here (`en.py`, `zh.py`, `ko.py`, …) so a
reader of that language can review and correct its texts in one place; this
module only gathers them and refuses, at import, a catalogue with a gap.

- Packer texts (`message`, `message_zh`) say what the packer does with the
  parcel now — the hold shelf (暂存架) or back to stock (退回库位) — short
  enough to read from a metre away. Never office work.
- Supervisor texts (`supervisor_message`, `supervisor_message_zh`, contract
  v1.1) are that office work, shown on the hold board: sync the ERP, record the
  shipping notice, re-run the freight deduction, answer the dispute.
- Buyer texts are quick replies customer service pastes into the buyer-message
  tool. They never name risk control, fraud checks or the guard (a buyer with a
  stolen card must not learn the order was flagged), never promise a shipment
  the platform may still stop (a reviewed order can be closed), and leave
  refunds to AliExpress ("processed by AliExpress under its refund policy").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from guard.rules.messages import ar, de, en, es, fr, he, it, ja, ko, nl, pl, pt, ru, tr, zh
from guard.rules.reasons import REASONS

# The buyer languages AliExpress sellers meet most, English first; one module each.
_MODULES = {
    "en": en,
    "es": es,
    "ru": ru,
    "pt": pt,
    "fr": fr,
    "de": de,
    "zh": zh,
    "ko": ko,
    "ja": ja,
    "pl": pl,
    "it": it,
    "nl": nl,
    "tr": tr,
    "ar": ar,
    "he": he,
}
BUYER_LANGUAGES: tuple[str, ...] = tuple(_MODULES)
RIGHT_TO_LEFT: frozenset[str] = frozenset({"ar", "he"})

# The buyer's country (ISO 3166-1 alpha-2) → the language customer service answers
# in first. Countries not listed get English first; every language stays one click away.
COUNTRY_LANGUAGE: dict[str, str] = {
    **dict.fromkeys(("US", "GB", "AU", "CA", "NZ", "IE", "IN", "SG", "PH", "ZA", "NG", "MY"), "en"),
    **dict.fromkeys(("ES", "MX", "AR", "CL", "CO", "PE", "UY", "EC", "VE", "BO", "PY", "CR", "GT", "DO"), "es"),
    **dict.fromkeys(("RU", "BY", "KZ", "KG", "UZ", "AM", "AZ", "MD"), "ru"),
    **dict.fromkeys(("BR", "PT", "AO", "MZ"), "pt"),
    **dict.fromkeys(("FR", "BE", "LU", "MC", "SN", "CI", "MA", "TN", "DZ", "CM"), "fr"),
    **dict.fromkeys(("DE", "AT", "CH", "LI"), "de"),
    **dict.fromkeys(("CN", "TW", "HK", "MO"), "zh"),
    "KR": "ko",
    "JP": "ja",
    "PL": "pl",
    **dict.fromkeys(("IT", "SM", "VA"), "it"),
    "NL": "nl",
    "TR": "tr",
    **dict.fromkeys(("SA", "AE", "EG", "KW", "QA", "BH", "OM", "JO", "LB", "IQ"), "ar"),
    "IL": "he",
}


LANGUAGE_NAMES: dict[str, str] = {lang: module.NAME for lang, module in _MODULES.items()}


def buyer_language(country: str | None) -> str:
    """The language to offer a buyer from this country first (English if unknown)."""
    return COUNTRY_LANGUAGE.get(country or "", "en")


@dataclass(frozen=True, slots=True)
class ReasonText:
    message: str
    message_zh: str
    supervisor_message: str
    supervisor_message_zh: str
    buyer_messages: Mapping[str, str]


def _catalogue() -> dict[str, ReasonText]:
    gaps = [
        f"{lang}.py {table} {code}"
        for code in REASONS
        for lang, module in _MODULES.items()
        for table in ("BUYER", *(("PACKER", "SUPERVISOR") if lang in ("en", "zh") else ()))
        if not getattr(module, table).get(code, "").strip()
    ]
    if gaps:  # a reason shown without its words would leave a packer or a buyer guessing
        raise RuntimeError(f"guard.rules.messages: missing texts: {', '.join(gaps)}")
    return {
        code: ReasonText(
            message=en.PACKER[code],
            message_zh=zh.PACKER[code],
            supervisor_message=en.SUPERVISOR[code],
            supervisor_message_zh=zh.SUPERVISOR[code],
            buyer_messages={lang: module.BUYER[code] for lang, module in _MODULES.items()},
        )
        for code in REASONS
    }


MESSAGES: dict[str, ReasonText] = _catalogue()
