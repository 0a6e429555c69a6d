"""Polski (Polish): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Polski"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Sprawdzamy dane Twojego zamówienia i wkrótce przekażemy informacje.",
    "ORDER_CLOSED": "To zamówienie zostało zamknięte i nie zostanie wysłane. Płatność zwraca AliExpress zgodnie ze swoimi zasadami zwrotów.",
    "RISK_CLOSED": "To zamówienie zostało zamknięte przez platformę i nie zostanie wysłane. Płatność zwraca AliExpress zgodnie ze swoimi zasadami zwrotów.",
    "ORDER_CANCELLED": "Twoje zamówienie zostało anulowane i nie zostanie wysłane. Płatność zwraca AliExpress zgodnie ze swoimi zasadami zwrotów.",
    "PAYMENT_REFUNDED": "Płatność za to zamówienie została zwrócona, więc zamówienie nie zostanie wysłane. Zwroty realizuje AliExpress zgodnie ze swoimi zasadami zwrotów.",
    "PAYMENT_UNKNOWN": "Czekamy na potwierdzenie płatności za Twoje zamówienie i będziemy je dalej realizować, gdy tylko je otrzymamy.",
    "PAYMENT_UNPAID": "Nie otrzymaliśmy jeszcze płatności za Twoje zamówienie. Będziemy je dalej realizować po zakończeniu płatności.",
    "PAYMENT_AWAITING_CONFIRMATION": "Potwierdzamy kwotę płatności za Twoje zamówienie i będziemy je dalej realizować, gdy tylko to zrobimy.",
    "PAYMENT_FAILED": "Płatność za Twoje zamówienie nie powiodła się. Jej status sprawdzisz w szczegółach zamówienia w AliExpress.",
    "PAYMENT_PROCESSING": "W okresach dużego ruchu, takich jak 11.11, płatności kartą trwają dłużej i zwykle są potwierdzane w ciągu 1–6 godzin. Będziemy dalej realizować zamówienie po potwierdzeniu płatności.",
    "RISK_REVIEW": "Twoje zamówienie przechodzi standardową kontrolę bezpieczeństwa. Poinformujemy Cię, gdy tylko się zakończy.",
    "CANCEL_REQUESTED": "Otrzymaliśmy Twoją prośbę o anulowanie i zajmujemy się nią. Dopóki jest rozpatrywana, zamówienie nie zostanie wysłane.",
    "TRACKING_NUMBER_PENDING": "Czekamy, aż przewoźnik nada numer przesyłki Twojemu zamówieniu, i przekażemy go, gdy tylko go otrzymamy.",
    "SHIPPING_NOTICE_MISSING": "Przygotowujemy Twoje zamówienie do wysyłki. Numer przesyłki przekażemy po jej nadaniu.",
    "TRACKING_CONFLICT": "Potwierdzamy dane śledzenia Twojej paczki i poinformujemy Cię, gdy tylko zostaną potwierdzone.",
    "TRACKING_MISMATCH": "Potwierdzamy dane śledzenia Twojej paczki i poinformujemy Cię, gdy tylko zostaną potwierdzone.",
    "FUNDS_IN_SETTLEMENT": "Porozumienie dotyczące Twojego zamówienia realizuje AliExpress zgodnie ze swoimi zasadami zwrotów. Poinformujemy Cię po zakończeniu.",
    "DISPUTE_OPEN": "Otrzymaliśmy Twój spór i zajmujemy się nim. Wkrótce odpowiemy w sporze.",
    "FREIGHT_UNPAID": "Organizujemy wysyłkę Twojego zamówienia z przewoźnikiem i przekażemy numer przesyłki po jej nadaniu.",
    "RULE_ERROR": "Kończymy ostatnie sprawdzenia Twojego zamówienia i wkrótce przekażemy informacje.",
}
