"""Français (French): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Français"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Nous vérifions les informations de votre commande et revenons vers vous rapidement.",
    "ORDER_CLOSED": "Cette commande a été clôturée et ne sera pas expédiée. Tout paiement est remboursé par AliExpress selon sa politique de remboursement.",
    "RISK_CLOSED": "Cette commande a été clôturée par la plateforme et ne sera pas expédiée. Tout paiement est remboursé par AliExpress selon sa politique de remboursement.",
    "ORDER_CANCELLED": "Votre commande a été annulée et ne sera pas expédiée. Tout paiement est remboursé par AliExpress selon sa politique de remboursement.",
    "PAYMENT_REFUNDED": "Le paiement de cette commande a été remboursé ; elle ne sera donc pas expédiée. AliExpress traite les remboursements selon sa politique de remboursement.",
    "PAYMENT_UNKNOWN": "Nous attendons la confirmation du paiement de votre commande et poursuivrons son traitement dès sa réception.",
    "PAYMENT_UNPAID": "Nous n'avons pas encore reçu le paiement de votre commande. Nous poursuivrons son traitement dès que le paiement sera effectué.",
    "PAYMENT_AWAITING_CONFIRMATION": "Nous confirmons le montant du paiement de votre commande et poursuivrons son traitement dès que ce sera fait.",
    "PAYMENT_FAILED": "Le paiement de votre commande n'a pas abouti. Vous pouvez consulter son statut dans le détail de la commande sur AliExpress.",
    "PAYMENT_PROCESSING": "Lors de temps forts comme le 11.11, les paiements par carte sont plus longs et généralement validés sous 1 à 6 heures. Nous poursuivrons le traitement dès la validation du paiement.",
    "RISK_REVIEW": "Votre commande fait l'objet d'une vérification de sécurité standard. Nous reviendrons vers vous dès la fin de la vérification.",
    "CANCEL_REQUESTED": "Nous avons bien reçu votre demande d'annulation et la traitons. La commande ne sera pas expédiée tant qu'elle est en cours.",
    "TRACKING_NUMBER_PENDING": "Nous attendons que le transporteur attribue un numéro de suivi à votre commande et vous le communiquerons dès réception.",
    "SHIPPING_NOTICE_MISSING": "Votre commande est en cours de préparation. Nous vous communiquerons le numéro de suivi dès son expédition.",
    "TRACKING_CONFLICT": "Nous vérifions les informations de suivi de votre colis et reviendrons vers vous dès qu'elles seront confirmées.",
    "TRACKING_MISMATCH": "Nous vérifions les informations de suivi de votre colis et reviendrons vers vous dès qu'elles seront confirmées.",
    "FUNDS_IN_SETTLEMENT": "L'accord concernant votre commande est traité par AliExpress selon sa politique de remboursement. Nous vous tiendrons informé.",
    "DISPUTE_OPEN": "Nous avons bien reçu votre litige et nous nous en occupons. Nous vous répondrons dans le litige sous peu.",
    "FREIGHT_UNPAID": "Nous organisons l'expédition de votre commande avec le transporteur et vous communiquerons le numéro de suivi dès son expédition.",
    "RULE_ERROR": "Nous finalisons les dernières vérifications de votre commande et revenons vers vous rapidement.",
}
