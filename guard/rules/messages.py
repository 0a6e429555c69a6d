"""What each reason says: to the packer (en, zh) and to the buyer (seed point 9).

Packer texts say what to do with the parcel now, short enough to read from a
metre away. Buyer texts are quick replies customer service pastes into the
buyer-message tool: they reassure and say what happens next, and never name
risk control, fraud checks or the guard itself, because a buyer with a stolen
card must not learn that the order was flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# AliExpress buyers are worldwide; these are the quick-reply languages kept ready.
BUYER_LANGUAGES: tuple[str, ...] = ("en", "es", "ru", "pt", "fr", "de", "zh")


@dataclass(frozen=True, slots=True)
class ReasonText:
    message: str
    message_zh: str
    buyer_messages: Mapping[str, str]


_HOLD = "Put the parcel on the hold shelf: "
_HOLD_ZH = "放上暂扣货架："
_BLOCK = "Do not ship. Return the goods to stock: "
_BLOCK_ZH = "不要发货，货品退回库存："

MESSAGES: dict[str, ReasonText] = {
    "ORDER_UNKNOWN": ReasonText(
        _HOLD + "the guard has no facts on this order. Ask the ERP to sync it, then scan again.",
        _HOLD_ZH + "系统里没有这个订单的任何信息。请让ERP同步该订单后重新扫描。",
        {
            "en": "We are updating your order details. Your order will ship as soon as they are confirmed.",
            "es": "Estamos actualizando los datos de tu pedido. Lo enviaremos en cuanto estén confirmados.",
            "ru": "Мы обновляем данные вашего заказа. Отправим его, как только они будут подтверждены.",
            "pt": "Estamos atualizando os dados do seu pedido. Ele será enviado assim que forem confirmados.",
            "fr": "Nous mettons à jour les informations de votre commande. Elle sera expédiée dès qu'elles seront confirmées.",
            "de": "Wir aktualisieren gerade die Daten Ihrer Bestellung. Sie wird versandt, sobald sie bestätigt sind.",
            "zh": "我们正在更新您的订单信息，确认后会尽快为您发货。",
        },
    ),
    "ORDER_CLOSED": ReasonText(
        _BLOCK + "the order is closed on the platform.",
        _BLOCK_ZH + "该订单在平台上已关闭。",
        {
            "en": "This order has been closed and will not be shipped. Any payment you made will be refunded.",
            "es": "Este pedido se ha cerrado y no se enviará. Se te reembolsará cualquier importe pagado.",
            "ru": "Этот заказ закрыт и не будет отправлен. Все оплаченные средства будут возвращены.",
            "pt": "Este pedido foi encerrado e não será enviado. Qualquer valor pago será reembolsado.",
            "fr": "Cette commande a été clôturée et ne sera pas expédiée. Tout paiement effectué vous sera remboursé.",
            "de": "Diese Bestellung wurde geschlossen und wird nicht versandt. Bereits gezahlte Beträge werden Ihnen erstattet.",
            "zh": "该订单已关闭，不会发货。您已支付的款项将退还给您。",
        },
    ),
    # Seed point 2: the platform closes and refunds risky unshipped orders. The
    # buyer hears only that the platform closed it, never why.
    "RISK_CLOSED": ReasonText(
        _BLOCK + "platform risk control closed the order and refunded the buyer.",
        _BLOCK_ZH + "平台风控已关闭该订单并退款给买家。",
        {
            "en": "This order was closed by the platform and will not be shipped. Any payment is refunded to your original payment method.",
            "es": "La plataforma ha cerrado este pedido y no se enviará. Cualquier pago se reembolsa a tu método de pago original.",
            "ru": "Платформа закрыла этот заказ, и он не будет отправлен. Все средства возвращаются на исходный способ оплаты.",
            "pt": "Este pedido foi encerrado pela plataforma e não será enviado. Qualquer pagamento é reembolsado na forma de pagamento original.",
            "fr": "Cette commande a été clôturée par la plateforme et ne sera pas expédiée. Tout paiement est remboursé sur votre moyen de paiement d'origine.",
            "de": "Diese Bestellung wurde von der Plattform geschlossen und wird nicht versandt. Zahlungen werden auf Ihre ursprüngliche Zahlungsmethode erstattet.",
            "zh": "该订单已被平台关闭，不会发货。已支付的款项将原路退还。",
        },
    ),
    "ORDER_CANCELLED": ReasonText(
        _BLOCK + "the cancellation was accepted.",
        _BLOCK_ZH + "取消订单申请已被同意。",
        {
            "en": "Your order has been cancelled and will not be shipped. Any payment is refunded to your original payment method.",
            "es": "Tu pedido se ha cancelado y no se enviará. Cualquier pago se reembolsa a tu método de pago original.",
            "ru": "Ваш заказ отменён и не будет отправлен. Все средства возвращаются на исходный способ оплаты.",
            "pt": "Seu pedido foi cancelado e não será enviado. Qualquer pagamento é reembolsado na forma de pagamento original.",
            "fr": "Votre commande a été annulée et ne sera pas expédiée. Tout paiement est remboursé sur votre moyen de paiement d'origine.",
            "de": "Ihre Bestellung wurde storniert und wird nicht versandt. Zahlungen werden auf Ihre ursprüngliche Zahlungsmethode erstattet.",
            "zh": "您的订单已取消，不会发货。已支付的款项将原路退还。",
        },
    ),
    "PAYMENT_REFUNDED": ReasonText(
        _BLOCK + "the payment was refunded to the buyer.",
        _BLOCK_ZH + "货款已退还给买家。",
        {
            "en": "Your payment for this order has been refunded, so the order will not be shipped.",
            "es": "El pago de este pedido se ha reembolsado, por lo que no se enviará.",
            "ru": "Оплата за этот заказ возвращена, поэтому он не будет отправлен.",
            "pt": "O pagamento deste pedido foi reembolsado, por isso ele não será enviado.",
            "fr": "Le paiement de cette commande a été remboursé ; elle ne sera donc pas expédiée.",
            "de": "Ihre Zahlung für diese Bestellung wurde erstattet, daher wird sie nicht versandt.",
            "zh": "该订单的款项已退还给您，因此订单不会发货。",
        },
    ),
    "PAYMENT_UNKNOWN": ReasonText(
        _HOLD + "the payment status is not known yet. Ask the ERP to sync the order; it is re-checked automatically.",
        _HOLD_ZH + "付款状态未知。请让ERP同步该订单，系统会自动复查。",
        {
            "en": "We are confirming the payment for your order. It will ship as soon as the payment is confirmed.",
            "es": "Estamos confirmando el pago de tu pedido. Lo enviaremos en cuanto se confirme.",
            "ru": "Мы проверяем оплату вашего заказа. Отправим его сразу после подтверждения оплаты.",
            "pt": "Estamos confirmando o pagamento do seu pedido. Ele será enviado assim que o pagamento for confirmado.",
            "fr": "Nous vérifions le paiement de votre commande. Elle sera expédiée dès que le paiement sera confirmé.",
            "de": "Wir prüfen gerade die Zahlung für Ihre Bestellung. Sie wird versandt, sobald die Zahlung bestätigt ist.",
            "zh": "我们正在确认您订单的付款情况，确认后会尽快发货。",
        },
    ),
    "PAYMENT_UNPAID": ReasonText(
        _HOLD + "the buyer has not paid yet. It is released automatically when the payment arrives.",
        _HOLD_ZH + "买家尚未付款。付款到账后系统会自动放行。",
        {
            "en": "We have not received the payment for your order yet. It will ship as soon as the payment is complete.",
            "es": "Aún no hemos recibido el pago de tu pedido. Lo enviaremos en cuanto se complete el pago.",
            "ru": "Мы ещё не получили оплату за ваш заказ. Отправим его сразу после завершения оплаты.",
            "pt": "Ainda não recebemos o pagamento do seu pedido. Ele será enviado assim que o pagamento for concluído.",
            "fr": "Nous n'avons pas encore reçu le paiement de votre commande. Elle sera expédiée dès que le paiement sera effectué.",
            "de": "Die Zahlung für Ihre Bestellung ist noch nicht eingegangen. Sie wird versandt, sobald die Zahlung abgeschlossen ist.",
            "zh": "我们尚未收到您订单的付款，付款完成后会尽快发货。",
        },
    ),
    # The platform's WAIT_SELLER_EXAMINE_MONEY: the seller, not the buyer, must act.
    "PAYMENT_AWAITING_CONFIRMATION": ReasonText(
        _HOLD
        + "the payment amount is waiting for the seller's confirmation. Ask customer service to confirm it on the platform.",
        _HOLD_ZH + "付款金额待卖家确认。请客服在平台上确认收款金额。",
        {
            "en": "We are confirming the payment amount for your order. It will ship as soon as this is done.",
            "es": "Estamos confirmando el importe del pago de tu pedido. Lo enviaremos en cuanto terminemos.",
            "ru": "Мы подтверждаем сумму оплаты вашего заказа. Отправим его, как только это будет сделано.",
            "pt": "Estamos confirmando o valor do pagamento do seu pedido. Ele será enviado assim que isso for concluído.",
            "fr": "Nous confirmons le montant du paiement de votre commande. Elle sera expédiée dès que ce sera fait.",
            "de": "Wir bestätigen gerade den Zahlungsbetrag Ihrer Bestellung. Sie wird versandt, sobald das erledigt ist.",
            "zh": "我们正在确认您订单的付款金额，确认后会尽快发货。",
        },
    ),
    "PAYMENT_FAILED": ReasonText(
        _HOLD + "the payment failed. It is released automatically if the buyer pays again.",
        _HOLD_ZH + "付款失败。买家重新付款成功后系统会自动放行。",
        {
            "en": "Your payment did not go through. Please try again or use another payment method; your order will ship once it is paid.",
            "es": "Tu pago no se ha completado. Inténtalo de nuevo o usa otro método de pago; enviaremos el pedido en cuanto esté pagado.",
            "ru": "Оплата не прошла. Попробуйте ещё раз или выберите другой способ оплаты — мы отправим заказ сразу после оплаты.",
            "pt": "Seu pagamento não foi aprovado. Tente novamente ou use outra forma de pagamento; o pedido será enviado assim que for pago.",
            "fr": "Votre paiement n'a pas abouti. Veuillez réessayer ou utiliser un autre moyen de paiement ; la commande sera expédiée dès qu'elle sera payée.",
            "de": "Ihre Zahlung ist nicht durchgegangen. Bitte versuchen Sie es erneut oder wählen Sie eine andere Zahlungsmethode; die Bestellung wird nach Zahlungseingang versandt.",
            "zh": "您的付款未成功。请重试或更换支付方式，付款成功后我们会尽快发货。",
        },
    ),
    # Seed point 1: bank-card payments sit in "Payment processing" for 1-6 hours at peak.
    "PAYMENT_PROCESSING": ReasonText(
        _HOLD + "payment is still processing. It is released automatically when the payment clears.",
        _HOLD_ZH + "付款处理中（大促期间银行卡付款较慢）。付款完成后系统会自动放行。",
        {
            "en": "Card payments take longer during the sale and usually clear within 1–6 hours. Your order will ship as soon as your payment clears.",
            "es": "Durante las rebajas, los pagos con tarjeta tardan más y suelen confirmarse en 1–6 horas. Enviaremos tu pedido en cuanto se confirme el pago.",
            "ru": "Во время распродажи платежи картой обрабатываются дольше — обычно от 1 до 6 часов. Мы отправим заказ, как только оплата пройдёт.",
            "pt": "Durante a promoção, os pagamentos com cartão demoram mais e costumam ser aprovados em 1 a 6 horas. Seu pedido será enviado assim que o pagamento for aprovado.",
            "fr": "Pendant les soldes, les paiements par carte prennent plus de temps et sont généralement validés sous 1 à 6 heures. Votre commande sera expédiée dès la validation du paiement.",
            "de": "Während des Sales dauern Kartenzahlungen länger und sind meist innerhalb von 1–6 Stunden abgeschlossen. Ihre Bestellung wird versandt, sobald die Zahlung bestätigt ist.",
            "zh": "大促期间银行卡付款处理时间较长，一般会在1~6小时内完成。付款完成后我们会尽快为您发货。",
        },
    ),
    # Seed point 2: shipping during review is how goods and money are both lost.
    # The buyer hears "standard security check", never "risk control".
    "RISK_REVIEW": ReasonText(
        _HOLD
        + "the order is under platform risk review. Do not ship; it is released automatically when the review clears.",
        _HOLD_ZH + "订单正在接受平台风控审核。不要发货，审核通过后系统会自动放行。",
        {
            "en": "Your order is going through a standard security check. It will ship as soon as the check is complete.",
            "es": "Tu pedido está pasando por una verificación de seguridad habitual. Lo enviaremos en cuanto termine.",
            "ru": "Ваш заказ проходит стандартную проверку безопасности. Мы отправим его сразу после её завершения.",
            "pt": "Seu pedido está passando por uma verificação de segurança padrão. Ele será enviado assim que a verificação for concluída.",
            "fr": "Votre commande fait l'objet d'une vérification de sécurité standard. Elle sera expédiée dès la fin de la vérification.",
            "de": "Ihre Bestellung durchläuft eine übliche Sicherheitsprüfung. Sie wird versandt, sobald die Prüfung abgeschlossen ist.",
            "zh": "您的订单正在进行常规安全验证，验证完成后会尽快发货。",
        },
    ),
    "CANCEL_REQUESTED": ReasonText(
        _HOLD + "the buyer asked to cancel. Ship only if the cancellation is rejected.",
        _HOLD_ZH + "买家申请取消订单。只有取消申请被拒绝后才能发货。",
        {
            "en": "We have received your cancellation request and are processing it. The order will not ship while the request is open.",
            "es": "Hemos recibido tu solicitud de cancelación y la estamos tramitando. El pedido no se enviará mientras esté pendiente.",
            "ru": "Мы получили ваш запрос на отмену и обрабатываем его. Пока он рассматривается, заказ не будет отправлен.",
            "pt": "Recebemos sua solicitação de cancelamento e estamos analisando. O pedido não será enviado enquanto ela estiver em aberto.",
            "fr": "Nous avons bien reçu votre demande d'annulation et la traitons. La commande ne sera pas expédiée tant qu'elle est en cours.",
            "de": "Wir haben Ihre Stornierungsanfrage erhalten und bearbeiten sie. Solange sie offen ist, wird die Bestellung nicht versandt.",
            "zh": "我们已收到您的取消申请，正在处理中。申请处理完毕前，订单不会发货。",
        },
    ),
    # Seed point 8: international tracking numbers come back late on some routes.
    "TRACKING_NUMBER_PENDING": ReasonText(
        _HOLD
        + "the tracking number is not back from the carrier yet, and the shipping notice cannot be recorded without it. Wait and refresh; it is re-checked automatically.",
        _HOLD_ZH + "物流商尚未返回运单号，没有运单号无法填写发货通知。请稍等片刻再刷新，系统会自动复查。",
        {
            "en": "We are waiting for the carrier to issue the tracking number for your order. It will ship as soon as we have it.",
            "es": "Estamos esperando que la empresa de transporte asigne el número de seguimiento de tu pedido. Lo enviaremos en cuanto lo tengamos.",
            "ru": "Мы ждём, когда перевозчик присвоит вашему заказу трек-номер. Отправим заказ, как только его получим.",
            "pt": "Estamos aguardando a transportadora gerar o código de rastreamento do seu pedido. Ele será enviado assim que o recebermos.",
            "fr": "Nous attendons que le transporteur attribue le numéro de suivi de votre commande. Elle sera expédiée dès que nous l'aurons reçu.",
            "de": "Wir warten darauf, dass der Versanddienstleister die Sendungsnummer für Ihre Bestellung vergibt. Sie wird versandt, sobald sie vorliegt.",
            "zh": "我们正在等待物流商为您的订单分配运单号，拿到后会尽快发货。",
        },
    ),
    # Seed point 2: "unshipped" means "no notice recorded", so the notice goes first.
    "SHIPPING_NOTICE_MISSING": ReasonText(
        _HOLD + "record the shipping notice on the platform with the tracking number first, then scan again.",
        _HOLD_ZH + "请先在平台上用运单号填写发货通知，然后重新扫描。",
        {
            "en": "Your order is being prepared for shipment and will ship shortly.",
            "es": "Estamos preparando tu pedido para el envío; saldrá en breve.",
            "ru": "Мы готовим ваш заказ к отправке — он скоро будет отправлен.",
            "pt": "Seu pedido está sendo preparado para envio e sairá em breve.",
            "fr": "Votre commande est en cours de préparation et sera expédiée sous peu.",
            "de": "Ihre Bestellung wird für den Versand vorbereitet und in Kürze verschickt.",
            "zh": "您的订单正在备货，即将发货。",
        },
    ),
    # v1.1: the number on the parcel must be its own (contract, "Tracking numbers").
    "TRACKING_CONFLICT": ReasonText(
        _HOLD
        + "another parcel of this store carries the same tracking number. Tell the office; it ships once the number is corrected or resolved.",
        _HOLD_ZH + "本店另一个包裹使用了相同的运单号。请通知办公室，运单号更正或处理后才能发货。",
        {
            "en": "We are confirming the tracking details of your parcel. It will ship as soon as they are confirmed.",
            "es": "Estamos confirmando los datos de seguimiento de tu paquete. Lo enviaremos en cuanto estén confirmados.",
            "ru": "Мы уточняем данные отслеживания вашей посылки. Отправим её, как только они будут подтверждены.",
            "pt": "Estamos confirmando os dados de rastreamento do seu pacote. Ele será enviado assim que forem confirmados.",
            "fr": "Nous vérifions les informations de suivi de votre colis. Il sera expédié dès qu'elles seront confirmées.",
            "de": "Wir prüfen gerade die Sendungsdaten Ihres Pakets. Es wird versandt, sobald sie bestätigt sind.",
            "zh": "我们正在核对您包裹的物流单号，确认后会尽快发货。",
        },
    ),
    "TRACKING_MISMATCH": ReasonText(
        _HOLD
        + "the carrier label's tracking number is not the one recorded in the shipping notice. Tell the office; do not print another label.",
        _HOLD_ZH + "物流面单上的运单号与发货通知中填写的运单号不一致。请通知办公室，不要另打面单。",
        {
            "en": "We are confirming the tracking details of your parcel. It will ship as soon as they are confirmed.",
            "es": "Estamos confirmando los datos de seguimiento de tu paquete. Lo enviaremos en cuanto estén confirmados.",
            "ru": "Мы уточняем данные отслеживания вашей посылки. Отправим её, как только они будут подтверждены.",
            "pt": "Estamos confirmando os dados de rastreamento do seu pacote. Ele será enviado assim que forem confirmados.",
            "fr": "Nous vérifions les informations de suivi de votre colis. Il sera expédié dès qu'elles seront confirmées.",
            "de": "Wir prüfen gerade die Sendungsdaten Ihres Pakets. Es wird versandt, sobald sie bestätigt sind.",
            "zh": "我们正在核对您包裹的物流单号，确认后会尽快发货。",
        },
    ),
    # AliExpress FUND_PROCESSING: an agreed refund or settlement is being paid out.
    "FUNDS_IN_SETTLEMENT": ReasonText(
        _HOLD + "a refund or settlement agreed with the buyer is being processed. Do not ship; tell the office.",
        _HOLD_ZH + "与买家协商的退款或和解正在处理中。不要发货，请通知办公室。",
        {
            "en": "The agreement on your order is being processed by AliExpress under its refund policy. We will update you once it is complete.",
            "es": "AliExpress está procesando el acuerdo sobre tu pedido según su política de reembolsos. Te informaremos cuando termine.",
            "ru": "AliExpress обрабатывает договорённость по вашему заказу в соответствии со своими правилами возврата. Мы сообщим, когда всё будет готово.",
            "pt": "O acordo sobre o seu pedido está sendo processado pelo AliExpress conforme a política de reembolso. Avisaremos quando for concluído.",
            "fr": "L'accord concernant votre commande est en cours de traitement par AliExpress selon sa politique de remboursement. Nous vous tiendrons informé.",
            "de": "Die Vereinbarung zu Ihrer Bestellung wird von AliExpress gemäß seiner Erstattungsrichtlinie bearbeitet. Wir melden uns, sobald sie abgeschlossen ist.",
            "zh": "您订单的协商结果正在由速卖通按其退款规则处理，完成后我们会通知您。",
        },
    ),
    # AliExpress IN_ISSUE: a dispute is open; the platform decides where the money goes.
    "DISPUTE_OPEN": ReasonText(
        _HOLD + "the buyer has opened a dispute on this order. Do not ship; tell the office.",
        _HOLD_ZH + "买家已对该订单发起纠纷。不要发货，请通知办公室。",
        {
            "en": "We have received your dispute and are working on it. We will reply to you in the dispute shortly.",
            "es": "Hemos recibido tu disputa y estamos trabajando en ella. Te responderemos en la disputa en breve.",
            "ru": "Мы получили ваш спор и работаем над ним. Скоро ответим вам в споре.",
            "pt": "Recebemos a sua disputa e estamos trabalhando nela. Responderemos na disputa em breve.",
            "fr": "Nous avons bien reçu votre litige et nous nous en occupons. Nous vous répondrons dans le litige sous peu.",
            "de": "Wir haben Ihren Streitfall erhalten und bearbeiten ihn. Wir antworten Ihnen in Kürze im Streitfall.",
            "zh": "我们已收到您的纠纷并正在处理，稍后会在纠纷中回复您。",
        },
    ),
    # Seed point 7, in its own words: wait 10 minutes, refresh, re-run the deduction, call Cainiao.
    "FREIGHT_UNPAID": ReasonText(
        _HOLD
        + "freight shows unpaid. Wait 10 minutes and refresh; if it is still unpaid, run the freight deduction again or contact the logistics provider (Cainiao).",
        _HOLD_ZH + "运费显示未支付。请等待10分钟后刷新；如仍未扣款成功，请重新执行代扣或联系物流商（菜鸟）客服。",
        {
            "en": "We are arranging shipment of your order with the carrier. It will ship shortly.",
            "es": "Estamos gestionando el envío de tu pedido con la empresa de transporte. Saldrá en breve.",
            "ru": "Мы оформляем доставку вашего заказа у перевозчика. Он скоро будет отправлен.",
            "pt": "Estamos providenciando o envio do seu pedido com a transportadora. Ele sairá em breve.",
            "fr": "Nous organisons l'expédition de votre commande avec le transporteur. Elle partira sous peu.",
            "de": "Wir organisieren den Versand Ihrer Bestellung mit dem Versanddienstleister. Sie wird in Kürze verschickt.",
            "zh": "我们正在与物流商安排您订单的运输，即将发货。",
        },
    ),
    "RULE_ERROR": ReasonText(
        _HOLD + "the guard could not evaluate a rule for this order. Tell the supervisor.",
        _HOLD_ZH + "系统无法完成该订单的规则判断。请通知主管。",
        {
            "en": "We are finishing the final checks on your order and will ship it as soon as possible.",
            "es": "Estamos terminando las últimas comprobaciones de tu pedido y lo enviaremos lo antes posible.",
            "ru": "Мы завершаем последние проверки вашего заказа и отправим его как можно скорее.",
            "pt": "Estamos finalizando as últimas verificações do seu pedido e ele será enviado o quanto antes.",
            "fr": "Nous finalisons les dernières vérifications de votre commande et l'expédierons dès que possible.",
            "de": "Wir schließen die letzten Prüfungen Ihrer Bestellung ab und versenden sie so schnell wie möglich.",
            "zh": "我们正在对您的订单做最后的核对，会尽快为您发货。",
        },
    ),
}
