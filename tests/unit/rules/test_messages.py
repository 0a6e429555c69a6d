"""What each reason says: to the packer, to the office, and to the buyer in fifteen languages."""

import importlib
import re
from pathlib import Path

import pytest

from guard.rules import REASONS
from guard.rules.messages import BUYER_LANGUAGES, COUNTRY_LANGUAGE, MESSAGES, buyer_language

BLOCKS = {code for code, spec in REASONS.items() if spec.verdict == "block"}
HOLDS = set(REASONS) - BLOCKS
ZH_TEXTS = [(code, kind) for code in sorted(REASONS) for kind in ("message_zh", "supervisor_message_zh")]
MESSAGES_DIR = Path(__file__).resolve().parents[3] / "guard" / "rules" / "messages"


def buyer(code: str, lang: str) -> str:
    return MESSAGES[code].buyer_messages[lang]


# --- complete ------------------------------------------------------------------------------------


def test_catalog_has_exactly_one_entry_per_reason_code():
    assert set(MESSAGES) == set(REASONS)


def test_buyer_languages_are_the_ones_aliexpress_sellers_meet_most():
    assert {"en", "es", "ru", "pt", "fr", "de", "zh", "ko", "ja", "pl", "it", "nl", "tr", "ar", "he"} <= set(
        BUYER_LANGUAGES
    )


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_speaks_to_packer_office_and_buyer_in_every_language(code):
    text = MESSAGES[code]
    for packer_or_office in (text.message, text.message_zh, text.supervisor_message, text.supervisor_message_zh):
        assert packer_or_office.strip()
    assert set(text.buyer_messages) == set(BUYER_LANGUAGES)
    assert all(text.buyer_messages[lang].strip() for lang in BUYER_LANGUAGES)


@pytest.mark.parametrize("lang", BUYER_LANGUAGES)
def test_each_language_is_one_file_a_reader_of_it_can_correct(lang):
    assert (MESSAGES_DIR / f"{lang}.py").is_file()
    module = importlib.import_module(f"guard.rules.messages.{lang}")
    assert set(module.BUYER) == set(REASONS), "no code missing, none left over"
    if lang in ("en", "zh"):  # the floor speaks English and Chinese
        assert set(module.PACKER) == set(module.SUPERVISOR) == set(REASONS)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_no_translation_is_left_as_the_english(code):
    text = MESSAGES[code]
    assert text.message_zh != text.message and text.supervisor_message_zh != text.supervisor_message
    for lang in BUYER_LANGUAGES:
        if lang != "en":
            assert buyer(code, lang) != buyer(code, "en"), lang


SCRIPTS = {
    "zh": r"[\u4e00-\u9fff]",
    "ja": r"[\u3040-\u30ff]",  # kana: Japanese, not Chinese
    "ko": r"[\uac00-\ud7a3]",
    "ru": r"[\u0400-\u04ff]",
    "ar": r"[\u0600-\u06ff]",
    "he": r"[\u0590-\u05ff]",
}


@pytest.mark.parametrize("code", sorted(REASONS))
def test_texts_are_written_in_their_own_script(code):
    for lang, letters in SCRIPTS.items():
        assert len(re.findall(letters, buyer(code, lang))) >= 5, lang
    for zh in (MESSAGES[code].message_zh, MESSAGES[code].supervisor_message_zh):
        assert len(re.findall(SCRIPTS["zh"], zh)) >= 5


@pytest.mark.parametrize("code", sorted(REASONS))
def test_buyer_messages_are_short(code):
    # Quick replies: one or two short sentences, pasted as they are.
    for lang, text in MESSAGES[code].buyer_messages.items():
        assert len(text) <= 200, (lang, len(text))


# --- the packer: the warehouse's own words, and only the packer's work ----------------------------


@pytest.mark.parametrize("code", sorted(BLOCKS))
def test_block_tells_the_packer_to_return_the_goods_to_stock(code):
    assert MESSAGES[code].message.startswith("Do not ship. Return the goods to stock")
    assert MESSAGES[code].message_zh.startswith("禁止发货，退回库位")


@pytest.mark.parametrize("code", sorted(HOLDS))
def test_hold_sends_the_parcel_to_the_hold_shelf(code):
    assert "hold shelf" in MESSAGES[code].message
    assert MESSAGES[code].message_zh.startswith("包裹放到暂存架")


@pytest.mark.parametrize("code, kind", ZH_TEXTS)
def test_chinese_uses_the_warehouse_words_not_confiscation(code, kind):
    text = getattr(MESSAGES[code], kind)
    assert "暂扣" not in text  # reads like confiscation; the shelf is 暂存架
    assert "未声明" not in text and "声明发货" not in text  # the notice is 填写发货通知, one term everywhere
    assert "豁免" not in text  # a supervisor's override is 强制放行


def test_the_shipping_notice_is_called_the_same_everywhere():
    text = MESSAGES["SHIPPING_NOTICE_MISSING"]
    assert "填写发货通知" in text.message_zh and "填写发货通知" in text.supervisor_message_zh


# Office work: the packer at the station cannot do it and must not be asked to.
OFFICE_WORK = ("ERP", "sync", "deduction", "Cainiao", "seller centre", "同步", "代扣", "菜鸟", "卖家后台", "客服")


@pytest.mark.parametrize("code", sorted(REASONS))
def test_packer_texts_leave_office_work_to_the_supervisor_texts(code):
    for text in (MESSAGES[code].message, MESSAGES[code].message_zh):
        assert not any(word in text for word in OFFICE_WORK), text


def test_freight_unpaid_gives_the_office_the_seeds_instruction():
    text = MESSAGES["FREIGHT_UNPAID"]
    assert "10 minutes" in text.supervisor_message and "Cainiao" in text.supervisor_message
    assert "菜鸟" in text.supervisor_message_zh and "10分钟" in text.supervisor_message_zh


def test_the_packer_is_told_to_tell_the_office_where_the_office_must_act():
    for code in ("SHIPPING_NOTICE_MISSING", "FREIGHT_UNPAID", "TRACKING_CONFLICT", "DISPUTE_OPEN", "RULE_ERROR"):
        assert "Tell the office" in MESSAGES[code].message or "tell the office" in MESSAGES[code].message, code
        assert "告知办公室" in MESSAGES[code].message_zh, code


# --- the buyer: nothing that tips off, nothing the seller cannot keep -----------------------------

# Words that would tell a fraudster the order was flagged.
TIP_OFFS = {
    "en": ("risk", "fraud", "stolen", "suspicious"),
    "es": ("riesgo", "fraude", "robad", "sospech"),
    "ru": ("риск", "мошен", "краден", "подозр"),
    "pt": ("risco", "fraude", "roubad", "suspeit"),
    "fr": ("risque", "fraude", "volé", "suspect"),
    "de": ("risiko", "betrug", "gestohlen", "verdächtig"),
    "zh": ("风控", "风险", "盗刷", "欺诈", "可疑"),
    "ko": ("위험", "사기", "도난", "의심"),
    "ja": ("リスク", "詐欺", "盗難", "不審"),
    "pl": ("ryzyk", "oszust", "skradzion", "podejrz"),
    "it": ("rischio", "frode", "rubat", "sospett"),
    "nl": ("risico", "fraude", "gestolen", "verdacht"),
    "tr": ("risk", "dolandırıcı", "çalıntı", "şüpheli"),
    "ar": ("مخاطر", "احتيال", "مسروق", "مشبوه"),
    "he": ("סיכון", "הונאה", "גנוב", "חשוד"),
}


def test_every_buyer_language_is_checked_for_tip_offs():
    assert set(TIP_OFFS) == set(BUYER_LANGUAGES)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_buyer_messages_never_reveal_risk_control(code):
    for lang, words in TIP_OFFS.items():
        text = buyer(code, lang).lower()
        assert not any(word in text for word in words), (lang, text)


# "Ship" in each language: a reviewed order may still be closed by the platform.
SHIP_WORDS = {
    "en": ("ship", "dispatch"),
    "es": ("envia", "enviar", "enviaremos", "enviará"),
    "ru": ("отправ",),
    "pt": ("enviad", "enviaremos"),
    "fr": ("expédi",),
    "de": ("versand", "versend", "verschick"),
    "zh": ("发货",),
    "ko": ("발송",),
    "ja": ("発送",),
    "pl": ("wysył", "wysłan"),
    "it": ("spedi",),
    "nl": ("verzend", "verzonden"),
    "tr": ("gönder", "kargo"),
    "ar": ("شحن",),
    "he": ("משלוח", "תישלח"),
}


def test_risk_review_never_promises_the_buyer_a_shipment():
    for lang, words in SHIP_WORDS.items():
        text = buyer("RISK_REVIEW", lang).lower()
        assert not any(word in text for word in words), (lang, text)
    assert "standard security check" in buyer("RISK_REVIEW", "en")


def test_payment_failed_does_not_invite_another_payment_method():
    invitations = {
        "en": ("another", "other payment"),
        "es": ("otro método",),
        "fr": ("autre moyen",),
        "de": ("andere zahlungs",),
        "pt": ("outra forma",),
        "ru": ("другой способ",),
        "zh": ("更换",),
    }
    for lang, words in invitations.items():
        assert not any(word in buyer("PAYMENT_FAILED", lang).lower() for word in words), lang


REFUNDS = ("ORDER_CLOSED", "RISK_CLOSED", "ORDER_CANCELLED", "PAYMENT_REFUNDED", "FUNDS_IN_SETTLEMENT")


@pytest.mark.parametrize("code", REFUNDS)
def test_refunds_are_processed_by_aliexpress_under_its_refund_policy(code):
    assert "AliExpress under its refund policy" in buyer(code, "en")
    for lang in BUYER_LANGUAGES:
        assert ("速卖通" if lang == "zh" else "AliExpress") in buyer(code, lang), lang


def test_risk_closed_tells_the_buyer_the_platform_closed_it():
    english = buyer("RISK_CLOSED", "en")
    assert "closed by the platform" in english and "refunded" in english


def test_payment_processing_names_the_11_11_event_and_the_seeds_one_to_six_hours():
    assert "1–6 hours" in buyer("PAYMENT_PROCESSING", "en")
    for lang in BUYER_LANGUAGES:
        assert ("双11" if lang == "zh" else "11.11") in buyer("PAYMENT_PROCESSING", lang), lang
    assert "soldes" not in buyer("PAYMENT_PROCESSING", "fr")
    assert "Sale" not in buyer("PAYMENT_PROCESSING", "de")


# --- the buyer's language first ----------------------------------------------------------------


def test_every_country_maps_to_a_buyer_language():
    assert all(re.fullmatch(r"[A-Z]{2}", country) for country in COUNTRY_LANGUAGE)
    assert set(COUNTRY_LANGUAGE.values()) == set(BUYER_LANGUAGES)


@pytest.mark.parametrize(
    "country, lang",
    [("BR", "pt"), ("MX", "es"), ("FR", "fr"), ("KR", "ko"), ("JP", "ja"), ("PL", "pl"), ("IL", "he"), ("SA", "ar")],
)
def test_a_buyers_country_picks_the_language_customer_service_answers_in(country, lang):
    assert buyer_language(country) == lang


def test_an_unknown_or_missing_country_gets_english():
    assert buyer_language("XX") == buyer_language(None) == "en"
