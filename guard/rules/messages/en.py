"""English: the packer's, the office's and the buyer's texts, by reason code.

PACKER is what the packer does with the parcel now, read from a metre away at the station.
SUPERVISOR is the office work the hold board shows (sync the ERP, answer the dispute, …).
BUYER is what customer service pastes to the buyer.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "English"  # as the hold board labels this language

PACKER = {
    "ORDER_UNKNOWN": "Put the parcel on the hold shelf: the guard has no facts on this order yet. Tell the office; it is re-checked automatically.",
    "ORDER_CLOSED": "Do not ship. Return the goods to stock: the order is closed on the platform.",
    "RISK_CLOSED": "Do not ship. Return the goods to stock: the platform closed the order and refunded the buyer.",
    "ORDER_CANCELLED": "Do not ship. Return the goods to stock: the order was cancelled.",
    "PAYMENT_REFUNDED": "Do not ship. Return the goods to stock: the payment was refunded to the buyer.",
    "PAYMENT_UNKNOWN": "Put the parcel on the hold shelf: the payment is not confirmed yet. It is re-checked automatically.",
    "PAYMENT_UNPAID": "Put the parcel on the hold shelf: the buyer has not paid yet. It is released automatically when the payment arrives.",
    "PAYMENT_AWAITING_CONFIRMATION": "Put the parcel on the hold shelf: the payment amount waits for the office to confirm it. Tell the office.",
    "PAYMENT_FAILED": "Put the parcel on the hold shelf: the payment failed. It is released automatically if the buyer pays.",
    "PAYMENT_PROCESSING": "Put the parcel on the hold shelf: payment is still processing. It is released automatically when the payment clears.",
    "RISK_REVIEW": "Put the parcel on the hold shelf: the order is under platform review. Do not ship; it is released automatically if the review clears.",
    "CANCEL_REQUESTED": "Put the parcel on the hold shelf: the buyer asked to cancel. Leave it on the shelf until the office decides.",
    "TRACKING_NUMBER_PENDING": "Put the parcel on the hold shelf: the tracking number is not back from the carrier yet. It is re-checked automatically.",
    "SHIPPING_NOTICE_MISSING": "Put the parcel on the hold shelf: the shipping notice is not recorded on the platform yet. Tell the office; scan again once it is recorded.",
    "TRACKING_CONFLICT": "Put the parcel on the hold shelf: another parcel carries the same tracking number. Tell the office.",
    "TRACKING_MISMATCH": "Put the parcel on the hold shelf: the carrier label's tracking number is not the one in the shipping notice. Tell the office; do not print another label.",
    "FUNDS_IN_SETTLEMENT": "Put the parcel on the hold shelf: a refund agreed with the buyer is being processed. Do not ship; tell the office.",
    "DISPUTE_OPEN": "Put the parcel on the hold shelf: the buyer opened a dispute. Do not ship; tell the office.",
    "FREIGHT_UNPAID": "Put the parcel on the hold shelf: the freight is not paid yet. Tell the office; it is released automatically once the freight is paid.",
    "RULE_ERROR": "Put the parcel on the hold shelf: the guard could not judge this order. Tell the office.",
}

SUPERVISOR = {
    "ORDER_UNKNOWN": "The guard has no facts on this order: have the ERP sync it, and check the order number on the packing slip.",
    "ORDER_CLOSED": "Closed on the platform: put the goods back in stock. Nothing to do on the platform.",
    "RISK_CLOSED": "Platform risk control closed the order and refunded the buyer: put the goods back in stock. Do not tell the buyer why.",
    "ORDER_CANCELLED": "The cancellation was accepted: put the goods back in stock; void the label if one was printed.",
    "PAYMENT_REFUNDED": "The buyer was refunded: put the goods back in stock; check the refund in the seller centre if it was not expected.",
    "PAYMENT_UNKNOWN": "No payment status yet: have the ERP sync the order. The guard re-checks it every 10 minutes.",
    "PAYMENT_UNPAID": "Not paid yet: released automatically when the payment arrives. At peak, bank-card payments can take up to 6 hours.",
    "PAYMENT_AWAITING_CONFIRMATION": "Confirm the payment amount in the seller centre; the hold is released once the ERP syncs the order.",
    "PAYMENT_FAILED": "The payment failed: wait for the buyer to pay again (released automatically). A manual release needs a written reason.",
    "PAYMENT_PROCESSING": "Bank-card payment processing (1–6 hours at peak): released automatically. Overdue after 6 hours: then check the order on the platform.",
    "RISK_REVIEW": "Platform risk review: never ship during a review, and it cannot be waived. Released when the review clears; the platform may close and refund the order instead.",
    "CANCEL_REQUESTED": "The buyer asked to cancel: accept or reject the request on the platform. Ship only if it is rejected.",
    "TRACKING_NUMBER_PENDING": "The carrier has not returned the tracking number: if it is still missing after an hour, check the logistics order with the carrier.",
    "SHIPPING_NOTICE_MISSING": "Record the shipping notice on the platform with this parcel's tracking number, then have the ERP sync the order.",
    "TRACKING_CONFLICT": "Another live parcel of this store has the same tracking number: correct the number in the ERP, or resolve it (POST /v1/tracking/{number}/resolve) with a written reason.",
    "TRACKING_MISMATCH": "The escrowed carrier label's number differs from the recorded shipping notice: upload the right carrier label, or correct the notice.",
    "FUNDS_IN_SETTLEMENT": "A refund or settlement agreed with the buyer is being paid out (FUND_PROCESSING): do not ship. Once it completes, decide with customer service.",
    "DISPUTE_OPEN": "The buyer opened a dispute: answer it on the platform. Ship only after it ends, and only if the order is still to be shipped.",
    "FREIGHT_UNPAID": "Freight shows unpaid: wait 10 minutes and refresh; if it is still unpaid, run the freight deduction again in the seller centre or contact the logistics provider (Cainiao).",
    "RULE_ERROR": "A rule could not be evaluated (an unknown platform word or bad data): read the order's facts (GET /v1/orders/{id}) and tell the integrator.",
}

BUYER = {
    "ORDER_UNKNOWN": "We are checking the details of your order and will update you shortly.",
    "ORDER_CLOSED": "This order has been closed and will not be shipped. Any payment is refunded by AliExpress under its refund policy.",
    "RISK_CLOSED": "This order was closed by the platform and will not be shipped. Any payment is refunded by AliExpress under its refund policy.",
    "ORDER_CANCELLED": "Your order has been cancelled and will not be shipped. Any payment is refunded by AliExpress under its refund policy.",
    "PAYMENT_REFUNDED": "The payment for this order has been refunded, so the order will not be shipped. Refunds are processed by AliExpress under its refund policy.",
    "PAYMENT_UNKNOWN": "We are waiting for the payment confirmation for your order and will continue processing it once it arrives.",
    "PAYMENT_UNPAID": "We have not received the payment for your order yet. We will continue processing it once the payment is complete.",
    "PAYMENT_AWAITING_CONFIRMATION": "We are confirming the payment amount for your order and will continue processing it once this is done.",
    "PAYMENT_FAILED": "The payment for your order did not go through. You can see its status in your order details on AliExpress.",
    "PAYMENT_PROCESSING": "At busy times such as 11.11, card payments take longer and usually clear within 1–6 hours. We will continue processing your order once the payment clears.",
    "RISK_REVIEW": "Your order is going through a standard security check. We will update you once the check is complete.",
    "CANCEL_REQUESTED": "We have received your cancellation request and are processing it. The order will not be shipped while the request is open.",
    "TRACKING_NUMBER_PENDING": "We are waiting for the carrier to assign a tracking number to your order and will share it with you as soon as we have it.",
    "SHIPPING_NOTICE_MISSING": "Your order is being prepared for shipment. We will share the tracking details once it is dispatched.",
    "TRACKING_CONFLICT": "We are confirming the tracking details of your parcel and will update you once they are confirmed.",
    "TRACKING_MISMATCH": "We are confirming the tracking details of your parcel and will update you once they are confirmed.",
    "FUNDS_IN_SETTLEMENT": "The agreement on your order is being processed by AliExpress under its refund policy. We will update you once it is complete.",
    "DISPUTE_OPEN": "We have received your dispute and are working on it. We will reply to you in the dispute shortly.",
    "FREIGHT_UNPAID": "We are arranging the shipment of your order with the carrier and will share the tracking details once it is dispatched.",
    "RULE_ERROR": "We are completing the final checks on your order and will update you shortly.",
}
