"""Türkçe (Turkish): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "Türkçe"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "Siparişinizin bilgilerini kontrol ediyoruz ve kısa süre içinde size bilgi vereceğiz.",
    "ORDER_CLOSED": "Bu sipariş kapatıldı ve gönderilmeyecek. Ödemeler AliExpress tarafından iade politikasına göre iade edilir.",
    "RISK_CLOSED": "Bu sipariş platform tarafından kapatıldı ve gönderilmeyecek. Ödemeler AliExpress tarafından iade politikasına göre iade edilir.",
    "ORDER_CANCELLED": "Siparişiniz iptal edildi ve gönderilmeyecek. Ödemeler AliExpress tarafından iade politikasına göre iade edilir.",
    "PAYMENT_REFUNDED": "Bu siparişin ödemesi iade edildiği için sipariş gönderilmeyecek. İadeler AliExpress tarafından iade politikasına göre işlenir.",
    "PAYMENT_UNKNOWN": "Siparişinizin ödeme onayını bekliyoruz; onay gelir gelmez siparişinizi işlemeye devam edeceğiz.",
    "PAYMENT_UNPAID": "Siparişinizin ödemesini henüz almadık. Ödeme tamamlanır tamamlanmaz siparişinizi işlemeye devam edeceğiz.",
    "PAYMENT_AWAITING_CONFIRMATION": "Siparişinizin ödeme tutarını onaylıyoruz; bu işlem biter bitmez siparişinizi işlemeye devam edeceğiz.",
    "PAYMENT_FAILED": "Siparişinizin ödemesi gerçekleşmedi. Ödeme durumunu AliExpress'teki sipariş ayrıntılarından görebilirsiniz.",
    "PAYMENT_PROCESSING": "11.11 gibi yoğun dönemlerde kartla ödemeler daha uzun sürer ve genellikle 1–6 saat içinde onaylanır. Ödeme onaylanır onaylanmaz siparişinizi işlemeye devam edeceğiz.",
    "RISK_REVIEW": "Siparişiniz standart bir güvenlik kontrolünden geçiyor. Kontrol tamamlanır tamamlanmaz size bilgi vereceğiz.",
    "CANCEL_REQUESTED": "İptal talebinizi aldık ve işleme alıyoruz. Talep açık olduğu sürece sipariş gönderilmeyecek.",
    "TRACKING_NUMBER_PENDING": "Kargo firmasının siparişinize takip numarası vermesini bekliyoruz; numara elimize ulaşır ulaşmaz sizinle paylaşacağız.",
    "SHIPPING_NOTICE_MISSING": "Siparişiniz gönderime hazırlanıyor. Kargoya verildiğinde takip bilgilerini sizinle paylaşacağız.",
    "TRACKING_CONFLICT": "Paketinizin takip bilgilerini doğruluyoruz ve onaylanır onaylanmaz size bilgi vereceğiz.",
    "TRACKING_MISMATCH": "Paketinizin takip bilgilerini doğruluyoruz ve onaylanır onaylanmaz size bilgi vereceğiz.",
    "FUNDS_IN_SETTLEMENT": "Siparişinizle ilgili anlaşma AliExpress tarafından iade politikasına göre işleniyor. Tamamlandığında size bilgi vereceğiz.",
    "DISPUTE_OPEN": "Anlaşmazlık talebinizi aldık ve üzerinde çalışıyoruz. Kısa süre içinde anlaşmazlık sayfasında yanıt vereceğiz.",
    "FREIGHT_UNPAID": "Siparişinizin gönderimini kargo firmasıyla ayarlıyoruz; kargoya verildiğinde takip bilgilerini sizinle paylaşacağız.",
    "RULE_ERROR": "Siparişinizin son kontrollerini tamamlıyoruz ve kısa süre içinde size bilgi vereceğiz.",
}
