"""Español (Spanish): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Español"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Estamos revisando los datos de tu pedido y te informaremos en breve.",
    "ORDER_CLOSED": "Este pedido se ha cerrado y no se enviará. AliExpress reembolsa cualquier pago según su política de reembolsos.",
    "RISK_CLOSED": "La plataforma ha cerrado este pedido y no se enviará. AliExpress reembolsa cualquier pago según su política de reembolsos.",
    "ORDER_CANCELLED": "Tu pedido se ha cancelado y no se enviará. AliExpress reembolsa cualquier pago según su política de reembolsos.",
    "PAYMENT_REFUNDED": "El pago de este pedido se ha reembolsado, por lo que no se enviará. AliExpress gestiona los reembolsos según su política de reembolsos.",
    "PAYMENT_UNKNOWN": "Estamos esperando la confirmación del pago de tu pedido y seguiremos tramitándolo en cuanto llegue.",
    "PAYMENT_UNPAID": "Aún no hemos recibido el pago de tu pedido. Seguiremos tramitándolo en cuanto se complete el pago.",
    "PAYMENT_AWAITING_CONFIRMATION": "Estamos confirmando el importe del pago de tu pedido y seguiremos tramitándolo en cuanto terminemos.",
    "PAYMENT_FAILED": "El pago de tu pedido no se ha completado. Puedes consultar su estado en los detalles del pedido en AliExpress.",
    "PAYMENT_PROCESSING": "En fechas de mucha demanda como el 11.11, los pagos con tarjeta tardan más y suelen confirmarse en 1–6 horas. Seguiremos tramitando tu pedido en cuanto se confirme el pago.",
    "RISK_REVIEW": "Tu pedido está pasando por una verificación de seguridad habitual. Te informaremos en cuanto termine.",
    "CANCEL_REQUESTED": "Hemos recibido tu solicitud de cancelación y la estamos tramitando. El pedido no se enviará mientras esté pendiente.",
    "TRACKING_NUMBER_PENDING": "Estamos esperando que la empresa de transporte asigne un número de seguimiento a tu pedido y te lo enviaremos en cuanto lo tengamos.",
    "SHIPPING_NOTICE_MISSING": "Estamos preparando tu pedido para el envío. Te enviaremos los datos de seguimiento cuando salga.",
    "TRACKING_CONFLICT": "Estamos confirmando los datos de seguimiento de tu paquete y te informaremos cuando estén confirmados.",
    "TRACKING_MISMATCH": "Estamos confirmando los datos de seguimiento de tu paquete y te informaremos cuando estén confirmados.",
    "FUNDS_IN_SETTLEMENT": "AliExpress está procesando el acuerdo sobre tu pedido según su política de reembolsos. Te informaremos cuando termine.",
    "DISPUTE_OPEN": "Hemos recibido tu disputa y estamos trabajando en ella. Te responderemos en la disputa en breve.",
    "FREIGHT_UNPAID": "Estamos organizando el envío de tu pedido con la empresa de transporte y te enviaremos los datos de seguimiento cuando salga.",
    "RULE_ERROR": "Estamos completando las últimas comprobaciones de tu pedido y te informaremos en breve.",
}
