"""Italiano (Italian): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Italiano"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Stiamo verificando i dati del tuo ordine e ti aggiorneremo a breve.",
    "ORDER_CLOSED": "Questo ordine è stato chiuso e non verrà spedito. Eventuali pagamenti vengono rimborsati da AliExpress secondo la sua politica di rimborso.",
    "RISK_CLOSED": "Questo ordine è stato chiuso dalla piattaforma e non verrà spedito. Eventuali pagamenti vengono rimborsati da AliExpress secondo la sua politica di rimborso.",
    "ORDER_CANCELLED": "Il tuo ordine è stato annullato e non verrà spedito. Eventuali pagamenti vengono rimborsati da AliExpress secondo la sua politica di rimborso.",
    "PAYMENT_REFUNDED": "Il pagamento di questo ordine è stato rimborsato, quindi l'ordine non verrà spedito. I rimborsi sono gestiti da AliExpress secondo la sua politica di rimborso.",
    "PAYMENT_UNKNOWN": "Stiamo aspettando la conferma del pagamento del tuo ordine e proseguiremo non appena arriverà.",
    "PAYMENT_UNPAID": "Non abbiamo ancora ricevuto il pagamento del tuo ordine. Proseguiremo non appena il pagamento sarà completato.",
    "PAYMENT_AWAITING_CONFIRMATION": "Stiamo confermando l'importo del pagamento del tuo ordine e proseguiremo non appena avremo finito.",
    "PAYMENT_FAILED": "Il pagamento del tuo ordine non è andato a buon fine. Puoi vederne lo stato nei dettagli dell'ordine su AliExpress.",
    "PAYMENT_PROCESSING": "Nei periodi di punta come l'11.11, i pagamenti con carta richiedono più tempo e di solito vengono confermati entro 1–6 ore. Proseguiremo con l'ordine appena il pagamento sarà confermato.",
    "RISK_REVIEW": "Il tuo ordine è sottoposto a un controllo di sicurezza standard. Ti aggiorneremo non appena sarà completato.",
    "CANCEL_REQUESTED": "Abbiamo ricevuto la tua richiesta di annullamento e la stiamo gestendo. L'ordine non verrà spedito finché la richiesta è aperta.",
    "TRACKING_NUMBER_PENDING": "Stiamo aspettando che il corriere assegni un numero di tracciamento al tuo ordine e te lo comunicheremo appena lo avremo.",
    "SHIPPING_NOTICE_MISSING": "Stiamo preparando il tuo ordine per la spedizione. Ti comunicheremo il numero di tracciamento non appena sarà spedito.",
    "TRACKING_CONFLICT": "Stiamo verificando i dati di tracciamento del tuo pacco e ti aggiorneremo non appena saranno confermati.",
    "TRACKING_MISMATCH": "Stiamo verificando i dati di tracciamento del tuo pacco e ti aggiorneremo non appena saranno confermati.",
    "FUNDS_IN_SETTLEMENT": "L'accordo sul tuo ordine è in lavorazione da parte di AliExpress secondo la sua politica di rimborso. Ti aggiorneremo al termine.",
    "DISPUTE_OPEN": "Abbiamo ricevuto la tua controversia e ce ne stiamo occupando. Ti risponderemo a breve nella controversia.",
    "FREIGHT_UNPAID": "Stiamo organizzando la spedizione del tuo ordine con il corriere e ti comunicheremo il numero di tracciamento non appena sarà spedito.",
    "RULE_ERROR": "Stiamo completando gli ultimi controlli sul tuo ordine e ti aggiorneremo a breve.",
}
