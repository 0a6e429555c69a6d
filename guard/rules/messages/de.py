"""Deutsch (German): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Deutsch"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Wir prüfen gerade die Daten Ihrer Bestellung und melden uns in Kürze.",
    "ORDER_CLOSED": "Diese Bestellung wurde geschlossen und wird nicht versandt. Zahlungen erstattet AliExpress gemäß seiner Erstattungsrichtlinie.",
    "RISK_CLOSED": "Diese Bestellung wurde von der Plattform geschlossen und wird nicht versandt. Zahlungen erstattet AliExpress gemäß seiner Erstattungsrichtlinie.",
    "ORDER_CANCELLED": "Ihre Bestellung wurde storniert und wird nicht versandt. Zahlungen erstattet AliExpress gemäß seiner Erstattungsrichtlinie.",
    "PAYMENT_REFUNDED": "Die Zahlung für diese Bestellung wurde erstattet, daher wird sie nicht versandt. Erstattungen bearbeitet AliExpress gemäß seiner Erstattungsrichtlinie.",
    "PAYMENT_UNKNOWN": "Wir warten auf die Zahlungsbestätigung für Ihre Bestellung und bearbeiten sie weiter, sobald sie vorliegt.",
    "PAYMENT_UNPAID": "Die Zahlung für Ihre Bestellung ist noch nicht eingegangen. Wir bearbeiten sie weiter, sobald die Zahlung abgeschlossen ist.",
    "PAYMENT_AWAITING_CONFIRMATION": "Wir bestätigen gerade den Zahlungsbetrag Ihrer Bestellung und bearbeiten sie weiter, sobald das erledigt ist.",
    "PAYMENT_FAILED": "Die Zahlung für Ihre Bestellung ist nicht durchgegangen. Den Status sehen Sie in den Bestelldetails bei AliExpress.",
    "PAYMENT_PROCESSING": "In Spitzenzeiten wie am 11.11 dauern Kartenzahlungen länger und sind meist innerhalb von 1–6 Stunden bestätigt. Wir bearbeiten Ihre Bestellung weiter, sobald die Zahlung bestätigt ist.",
    "RISK_REVIEW": "Ihre Bestellung durchläuft eine übliche Sicherheitsprüfung. Wir melden uns, sobald die Prüfung abgeschlossen ist.",
    "CANCEL_REQUESTED": "Wir haben Ihre Stornierungsanfrage erhalten und bearbeiten sie. Solange sie offen ist, wird die Bestellung nicht versandt.",
    "TRACKING_NUMBER_PENDING": "Wir warten darauf, dass der Versanddienstleister eine Sendungsnummer für Ihre Bestellung vergibt, und teilen sie Ihnen mit, sobald sie vorliegt.",
    "SHIPPING_NOTICE_MISSING": "Ihre Bestellung wird für den Versand vorbereitet. Die Sendungsnummer teilen wir Ihnen mit, sobald sie verschickt ist.",
    "TRACKING_CONFLICT": "Wir prüfen gerade die Sendungsdaten Ihres Pakets und melden uns, sobald sie bestätigt sind.",
    "TRACKING_MISMATCH": "Wir prüfen gerade die Sendungsdaten Ihres Pakets und melden uns, sobald sie bestätigt sind.",
    "FUNDS_IN_SETTLEMENT": "Die Vereinbarung zu Ihrer Bestellung wird von AliExpress gemäß seiner Erstattungsrichtlinie bearbeitet. Wir melden uns, sobald sie abgeschlossen ist.",
    "DISPUTE_OPEN": "Wir haben Ihren Streitfall erhalten und bearbeiten ihn. Wir antworten Ihnen in Kürze im Streitfall.",
    "FREIGHT_UNPAID": "Wir organisieren den Versand Ihrer Bestellung mit dem Versanddienstleister und teilen Ihnen die Sendungsnummer mit, sobald sie verschickt ist.",
    "RULE_ERROR": "Wir schließen die letzten Prüfungen Ihrer Bestellung ab und melden uns in Kürze.",
}
