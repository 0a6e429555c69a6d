"""中文 (Chinese, simplified): the packer's, the office's and the buyer's texts, by reason code.

PACKER is what the packer does with the parcel now, read from a metre away at the station.
SUPERVISOR is the office work the hold board shows (sync the ERP, answer the dispute, …).
BUYER is what customer service pastes to the buyer.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "中文"  # as the hold board labels this language

PACKER = {
    "ORDER_UNKNOWN": "包裹放到暂存架：系统还没有该订单的信息。请告知办公室，系统会自动复查。",
    "ORDER_CLOSED": "禁止发货，退回库位：该订单在平台上已关闭。",
    "RISK_CLOSED": "禁止发货，退回库位：平台已关闭该订单并退款给买家。",
    "ORDER_CANCELLED": "禁止发货，退回库位：订单已取消。",
    "PAYMENT_REFUNDED": "禁止发货，退回库位：货款已退还给买家。",
    "PAYMENT_UNKNOWN": "包裹放到暂存架：付款尚未确认，系统会自动复查。",
    "PAYMENT_UNPAID": "包裹放到暂存架：买家尚未付款，付款到账后系统会自动放行。",
    "PAYMENT_AWAITING_CONFIRMATION": "包裹放到暂存架：付款金额待办公室确认。请告知办公室。",
    "PAYMENT_FAILED": "包裹放到暂存架：付款失败，买家重新付款成功后系统会自动放行。",
    "PAYMENT_PROCESSING": "包裹放到暂存架：付款处理中（大促期间银行卡付款较慢），付款完成后系统会自动放行。",
    "RISK_REVIEW": "包裹放到暂存架：订单正在接受平台审核。不要发货，审核通过后系统会自动放行。",
    "CANCEL_REQUESTED": "包裹放到暂存架：买家申请取消订单。留在暂存架上，等办公室处理。",
    "TRACKING_NUMBER_PENDING": "包裹放到暂存架：物流商尚未返回运单号，系统会自动复查。",
    "SHIPPING_NOTICE_MISSING": "包裹放到暂存架：平台上尚未填写发货通知。请告知办公室，填写发货通知后重新扫描。",
    "TRACKING_CONFLICT": "包裹放到暂存架：另一个包裹使用了相同的运单号。请告知办公室。",
    "TRACKING_MISMATCH": "包裹放到暂存架：物流面单上的运单号与发货通知中的运单号不一致。请告知办公室，不要另打面单。",
    "FUNDS_IN_SETTLEMENT": "包裹放到暂存架：与买家协商的退款正在处理中。不要发货，请告知办公室。",
    "DISPUTE_OPEN": "包裹放到暂存架：买家已对该订单发起纠纷。不要发货，请告知办公室。",
    "FREIGHT_UNPAID": "包裹放到暂存架：运费尚未支付。请告知办公室，运费支付后系统会自动放行。",
    "RULE_ERROR": "包裹放到暂存架：系统无法判断该订单。请告知办公室。",
}

SUPERVISOR = {
    "ORDER_UNKNOWN": "系统没有该订单的任何信息：请让ERP同步该订单，并核对拣货单上的订单号。",
    "ORDER_CLOSED": "平台上已关闭：货品退回库位即可，平台上无需操作。",
    "RISK_CLOSED": "平台风控已关闭订单并退款给买家：货品退回库位。不要向买家说明原因。",
    "ORDER_CANCELLED": "取消申请已同意：货品退回库位；如已打印面单，请作废。",
    "PAYMENT_REFUNDED": "货款已退还买家：货品退回库位；如非预期退款，请在卖家后台核实。",
    "PAYMENT_UNKNOWN": "尚无付款状态：请让ERP同步该订单。系统每10分钟自动复查。",
    "PAYMENT_UNPAID": "尚未付款：付款到账后自动放行。大促期间银行卡付款最长需要6小时。",
    "PAYMENT_AWAITING_CONFIRMATION": "请在卖家后台确认收款金额；ERP同步后自动放行。",
    "PAYMENT_FAILED": "付款失败：等待买家重新付款（自动放行）。强制放行须填写书面理由。",
    "PAYMENT_PROCESSING": "银行卡付款处理中（大促期间1~6小时）：自动放行。超过6小时即超时，届时请在平台上核实订单。",
    "RISK_REVIEW": "平台风控审核中：审核期间绝不能发货，也不能强制放行。审核通过后自动放行；平台也可能关闭订单并退款。",
    "CANCEL_REQUESTED": "买家申请取消：请在平台上同意或拒绝。拒绝后才能发货。",
    "TRACKING_NUMBER_PENDING": "物流商尚未返回运单号：如1小时后仍未返回，请向物流商核实物流订单。",
    "SHIPPING_NOTICE_MISSING": "请在平台上用该包裹的运单号填写发货通知，然后让ERP同步该订单。",
    "TRACKING_CONFLICT": "本店另一个在途包裹使用了相同的运单号：请在ERP中更正运单号，或填写书面理由处理冲突（POST /v1/tracking/{number}/resolve）。",
    "TRACKING_MISMATCH": "托管的物流面单运单号与发货通知不一致：请上传正确的物流面单，或更正发货通知。",
    "FUNDS_IN_SETTLEMENT": "与买家协商的退款或和解正在打款（FUND_PROCESSING）：不要发货。完成后请与客服商定处理方式。",
    "DISPUTE_OPEN": "买家发起了纠纷：请在平台上回应。纠纷结束后，且订单仍需发货时才能发货。",
    "FREIGHT_UNPAID": "运费显示未支付：请等待10分钟后刷新；如仍未扣款成功，请在卖家后台重新执行运费代扣或联系物流商（菜鸟）客服。",
    "RULE_ERROR": "无法完成规则判断（平台状态词未知或数据有误）：请查看订单信息（GET /v1/orders/{id}）并通知对接人员。",
}

BUYER = {
    "ORDER_UNKNOWN": "我们正在核对您的订单信息，稍后会告知您最新进展。",
    "ORDER_CLOSED": "该订单已关闭，不会发货。已支付的款项将由速卖通按其退款规则退还。",
    "RISK_CLOSED": "该订单已被平台关闭，不会发货。已支付的款项将由速卖通按其退款规则退还。",
    "ORDER_CANCELLED": "您的订单已取消，不会发货。已支付的款项将由速卖通按其退款规则退还。",
    "PAYMENT_REFUNDED": "该订单的款项已退还，因此订单不会发货。退款由速卖通按其退款规则处理。",
    "PAYMENT_UNKNOWN": "我们正在等待您订单的付款确认，确认后会继续处理您的订单。",
    "PAYMENT_UNPAID": "我们尚未收到您订单的付款，付款完成后会继续处理您的订单。",
    "PAYMENT_AWAITING_CONFIRMATION": "我们正在确认您订单的付款金额，确认后会继续处理您的订单。",
    "PAYMENT_FAILED": "您订单的付款未成功，您可以在速卖通的订单详情中查看付款状态。",
    "PAYMENT_PROCESSING": "在双11等大促期间，银行卡付款处理时间较长，一般会在1~6小时内完成。付款完成后我们会继续处理您的订单。",
    "RISK_REVIEW": "您的订单正在进行常规安全验证，验证完成后我们会告知您。",
    "CANCEL_REQUESTED": "我们已收到您的取消申请，正在处理中。申请处理完毕前，订单不会发货。",
    "TRACKING_NUMBER_PENDING": "我们正在等待物流商为您的订单分配运单号，拿到后会第一时间告知您。",
    "SHIPPING_NOTICE_MISSING": "您的订单正在备货，发货后我们会告知您物流单号。",
    "TRACKING_CONFLICT": "我们正在核对您包裹的物流信息，确认后会告知您。",
    "TRACKING_MISMATCH": "我们正在核对您包裹的物流信息，确认后会告知您。",
    "FUNDS_IN_SETTLEMENT": "您订单的协商结果正在由速卖通按其退款规则处理，完成后我们会通知您。",
    "DISPUTE_OPEN": "我们已收到您的纠纷并正在处理，稍后会在纠纷中回复您。",
    "FREIGHT_UNPAID": "我们正在与物流商安排您订单的运输，发货后会告知您物流单号。",
    "RULE_ERROR": "我们正在对您的订单做最后的核对，稍后会告知您最新进展。",
}
