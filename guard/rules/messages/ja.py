"""日本語 (Japanese): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "日本語"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "ご注文の情報を確認しております。まもなく状況をお知らせいたします。",
    "ORDER_CLOSED": "このご注文はクローズされたため、発送されません。お支払い済みの金額は、AliExpressの返金ポリシーに基づきAliExpressより返金されます。",
    "RISK_CLOSED": "このご注文はプラットフォームによりクローズされたため、発送されません。お支払い済みの金額は、AliExpressの返金ポリシーに基づきAliExpressより返金されます。",
    "ORDER_CANCELLED": "ご注文はキャンセルされたため、発送されません。お支払い済みの金額は、AliExpressの返金ポリシーに基づきAliExpressより返金されます。",
    "PAYMENT_REFUNDED": "このご注文の代金は返金されたため、発送されません。返金はAliExpressの返金ポリシーに基づきAliExpressが処理します。",
    "PAYMENT_UNKNOWN": "ご注文のお支払い確認をお待ちしております。確認でき次第、手続きを進めます。",
    "PAYMENT_UNPAID": "ご注文のお支払いをまだ確認できておりません。お支払いが完了し次第、手続きを進めます。",
    "PAYMENT_AWAITING_CONFIRMATION": "ご注文のお支払い金額を確認しております。確認が済み次第、手続きを進めます。",
    "PAYMENT_FAILED": "ご注文のお支払いが完了しませんでした。お支払い状況はAliExpressの注文詳細でご確認いただけます。",
    "PAYMENT_PROCESSING": "11.11などの繁忙期はカード決済の処理に時間がかかり、通常1〜6時間ほどで完了します。お支払いが完了し次第、手続きを進めます。",
    "RISK_REVIEW": "ご注文は通常のセキュリティ確認を行っております。確認が完了し次第、お知らせいたします。",
    "CANCEL_REQUESTED": "キャンセルのご依頼を受け付け、対応しております。ご依頼の処理中はご注文は発送されません。",
    "TRACKING_NUMBER_PENDING": "配送業者がご注文の追跡番号を発行するのを待っております。番号が届き次第、お知らせいたします。",
    "SHIPPING_NOTICE_MISSING": "ご注文の商品を発送準備中です。発送後に追跡情報をお知らせいたします。",
    "TRACKING_CONFLICT": "お荷物の追跡情報を確認しております。確認でき次第、お知らせいたします。",
    "TRACKING_MISMATCH": "お荷物の追跡情報を確認しております。確認でき次第、お知らせいたします。",
    "FUNDS_IN_SETTLEMENT": "ご注文に関する合意内容は、AliExpressの返金ポリシーに基づきAliExpressが処理しております。完了しましたらお知らせいたします。",
    "DISPUTE_OPEN": "紛争のお申し立てを受け付け、対応しております。まもなく紛争ページにてご回答いたします。",
    "FREIGHT_UNPAID": "配送業者とご注文の発送を手配しております。発送後に追跡情報をお知らせいたします。",
    "RULE_ERROR": "ご注文の最終確認を行っております。まもなく状況をお知らせいたします。",
}
