"""한국어 (Korean): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "한국어"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "주문 정보를 확인하고 있습니다. 곧 진행 상황을 알려 드리겠습니다.",
    "ORDER_CLOSED": "이 주문은 종료되어 발송되지 않습니다. 결제 금액은 AliExpress가 환불 정책에 따라 환불합니다.",
    "RISK_CLOSED": "이 주문은 플랫폼에서 종료되어 발송되지 않습니다. 결제 금액은 AliExpress가 환불 정책에 따라 환불합니다.",
    "ORDER_CANCELLED": "주문이 취소되어 발송되지 않습니다. 결제 금액은 AliExpress가 환불 정책에 따라 환불합니다.",
    "PAYMENT_REFUNDED": "이 주문의 결제 금액이 환불되어 주문은 발송되지 않습니다. 환불은 AliExpress가 환불 정책에 따라 처리합니다.",
    "PAYMENT_UNKNOWN": "주문의 결제 확인을 기다리고 있습니다. 확인되는 대로 주문 처리를 계속하겠습니다.",
    "PAYMENT_UNPAID": "아직 주문 결제가 확인되지 않았습니다. 결제가 완료되는 대로 주문 처리를 계속하겠습니다.",
    "PAYMENT_AWAITING_CONFIRMATION": "주문의 결제 금액을 확인하고 있습니다. 확인이 끝나는 대로 주문 처리를 계속하겠습니다.",
    "PAYMENT_FAILED": "주문 결제가 완료되지 않았습니다. AliExpress 주문 상세 정보에서 결제 상태를 확인하실 수 있습니다.",
    "PAYMENT_PROCESSING": "11.11 같은 성수기에는 카드 결제 처리 시간이 길어지며 보통 1~6시간 안에 완료됩니다. 결제가 완료되는 대로 주문 처리를 계속하겠습니다.",
    "RISK_REVIEW": "주문이 일반적인 보안 확인 절차를 거치고 있습니다. 확인이 끝나는 대로 알려 드리겠습니다.",
    "CANCEL_REQUESTED": "주문 취소 요청을 접수하여 처리하고 있습니다. 요청이 처리되는 동안에는 주문이 발송되지 않습니다.",
    "TRACKING_NUMBER_PENDING": "택배사가 주문에 운송장 번호를 발급하기를 기다리고 있습니다. 번호를 받는 대로 알려 드리겠습니다.",
    "SHIPPING_NOTICE_MISSING": "주문 상품을 발송 준비 중입니다. 발송되면 배송 조회 정보를 알려 드리겠습니다.",
    "TRACKING_CONFLICT": "소포의 배송 조회 정보를 확인하고 있습니다. 확인되는 대로 알려 드리겠습니다.",
    "TRACKING_MISMATCH": "소포의 배송 조회 정보를 확인하고 있습니다. 확인되는 대로 알려 드리겠습니다.",
    "FUNDS_IN_SETTLEMENT": "주문에 대한 합의 내용을 AliExpress가 환불 정책에 따라 처리하고 있습니다. 완료되면 알려 드리겠습니다.",
    "DISPUTE_OPEN": "분쟁 신청을 접수하여 처리하고 있습니다. 곧 분쟁 페이지에서 답변 드리겠습니다.",
    "FREIGHT_UNPAID": "택배사와 주문 발송을 준비하고 있습니다. 발송되면 배송 조회 정보를 알려 드리겠습니다.",
    "RULE_ERROR": "주문에 대한 마지막 확인을 진행하고 있습니다. 곧 진행 상황을 알려 드리겠습니다.",
}
