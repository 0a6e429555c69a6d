"""Nederlands (Dutch): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Nederlands"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "We controleren de gegevens van je bestelling en laten je snel meer weten.",
    "ORDER_CLOSED": "Deze bestelling is gesloten en wordt niet verzonden. Betalingen worden door AliExpress terugbetaald volgens het terugbetalingsbeleid.",
    "RISK_CLOSED": "Deze bestelling is door het platform gesloten en wordt niet verzonden. Betalingen worden door AliExpress terugbetaald volgens het terugbetalingsbeleid.",
    "ORDER_CANCELLED": "Je bestelling is geannuleerd en wordt niet verzonden. Betalingen worden door AliExpress terugbetaald volgens het terugbetalingsbeleid.",
    "PAYMENT_REFUNDED": "De betaling voor deze bestelling is terugbetaald, dus de bestelling wordt niet verzonden. AliExpress verwerkt terugbetalingen volgens het terugbetalingsbeleid.",
    "PAYMENT_UNKNOWN": "We wachten op de betalingsbevestiging van je bestelling en gaan verder zodra die binnen is.",
    "PAYMENT_UNPAID": "We hebben de betaling voor je bestelling nog niet ontvangen. We gaan verder zodra de betaling is voltooid.",
    "PAYMENT_AWAITING_CONFIRMATION": "We bevestigen het betaalde bedrag van je bestelling en gaan verder zodra dat is gebeurd.",
    "PAYMENT_FAILED": "De betaling voor je bestelling is niet gelukt. Je kunt de status bekijken in de bestelgegevens op AliExpress.",
    "PAYMENT_PROCESSING": "Op drukke momenten zoals 11.11 duren kaartbetalingen langer en worden ze meestal binnen 1–6 uur bevestigd. We gaan verder met je bestelling zodra de betaling is bevestigd.",
    "RISK_REVIEW": "Je bestelling ondergaat een standaard veiligheidscontrole. We laten het je weten zodra de controle is afgerond.",
    "CANCEL_REQUESTED": "We hebben je annuleringsverzoek ontvangen en behandelen het. Zolang het verzoek openstaat, wordt de bestelling niet verzonden.",
    "TRACKING_NUMBER_PENDING": "We wachten tot de vervoerder een trackingnummer aan je bestelling toekent en sturen het je zodra we het hebben.",
    "SHIPPING_NOTICE_MISSING": "Je bestelling wordt klaargemaakt voor verzending. We sturen je de trackinggegevens zodra ze is verzonden.",
    "TRACKING_CONFLICT": "We controleren de trackinggegevens van je pakket en laten het je weten zodra ze bevestigd zijn.",
    "TRACKING_MISMATCH": "We controleren de trackinggegevens van je pakket en laten het je weten zodra ze bevestigd zijn.",
    "FUNDS_IN_SETTLEMENT": "De afspraak over je bestelling wordt door AliExpress verwerkt volgens het terugbetalingsbeleid. We laten het je weten zodra dit is afgerond.",
    "DISPUTE_OPEN": "We hebben je geschil ontvangen en werken eraan. We reageren binnenkort in het geschil.",
    "FREIGHT_UNPAID": "We regelen de verzending van je bestelling met de vervoerder en sturen je de trackinggegevens zodra ze is verzonden.",
    "RULE_ERROR": "We ronden de laatste controles van je bestelling af en laten je snel meer weten.",
}
