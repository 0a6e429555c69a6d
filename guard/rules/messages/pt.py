"""Português (Portuguese, Brazil): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Português"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Estamos verificando os dados do seu pedido e daremos notícias em breve.",
    "ORDER_CLOSED": "Este pedido foi encerrado e não será enviado. Qualquer pagamento é reembolsado pelo AliExpress conforme a política de reembolso.",
    "RISK_CLOSED": "Este pedido foi encerrado pela plataforma e não será enviado. Qualquer pagamento é reembolsado pelo AliExpress conforme a política de reembolso.",
    "ORDER_CANCELLED": "Seu pedido foi cancelado e não será enviado. Qualquer pagamento é reembolsado pelo AliExpress conforme a política de reembolso.",
    "PAYMENT_REFUNDED": "O pagamento deste pedido foi reembolsado, por isso ele não será enviado. Os reembolsos são processados pelo AliExpress conforme a política de reembolso.",
    "PAYMENT_UNKNOWN": "Estamos aguardando a confirmação do pagamento do seu pedido e daremos continuidade assim que ela chegar.",
    "PAYMENT_UNPAID": "Ainda não recebemos o pagamento do seu pedido. Daremos continuidade assim que o pagamento for concluído.",
    "PAYMENT_AWAITING_CONFIRMATION": "Estamos confirmando o valor do pagamento do seu pedido e daremos continuidade assim que isso for concluído.",
    "PAYMENT_FAILED": "O pagamento do seu pedido não foi aprovado. Você pode ver a situação nos detalhes do pedido no AliExpress.",
    "PAYMENT_PROCESSING": "Em períodos de alta demanda, como o 11.11, pagamentos com cartão demoram mais e costumam ser aprovados em 1 a 6 horas. Daremos continuidade ao pedido assim que o pagamento for aprovado.",
    "RISK_REVIEW": "Seu pedido está passando por uma verificação de segurança padrão. Daremos notícias assim que ela for concluída.",
    "CANCEL_REQUESTED": "Recebemos sua solicitação de cancelamento e estamos analisando. O pedido não será enviado enquanto ela estiver em aberto.",
    "TRACKING_NUMBER_PENDING": "Estamos aguardando a transportadora gerar o código de rastreamento do seu pedido e vamos enviá-lo assim que o recebermos.",
    "SHIPPING_NOTICE_MISSING": "Seu pedido está sendo preparado para envio. Enviaremos o código de rastreamento assim que ele for despachado.",
    "TRACKING_CONFLICT": "Estamos confirmando os dados de rastreamento do seu pacote e daremos notícias assim que forem confirmados.",
    "TRACKING_MISMATCH": "Estamos confirmando os dados de rastreamento do seu pacote e daremos notícias assim que forem confirmados.",
    "FUNDS_IN_SETTLEMENT": "O acordo sobre o seu pedido está sendo processado pelo AliExpress conforme a política de reembolso. Avisaremos quando for concluído.",
    "DISPUTE_OPEN": "Recebemos a sua disputa e estamos trabalhando nela. Responderemos na disputa em breve.",
    "FREIGHT_UNPAID": "Estamos providenciando o envio do seu pedido com a transportadora e enviaremos o código de rastreamento assim que ele for despachado.",
    "RULE_ERROR": "Estamos concluindo as últimas verificações do seu pedido e daremos notícias em breve.",
}
