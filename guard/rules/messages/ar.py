"""العربية (Arabic): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "العربية"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "نراجع تفاصيل طلبك وسنوافيك بالمستجدات قريبًا.",
    "ORDER_CLOSED": "تم إغلاق هذا الطلب ولن يتم شحنه. تتولى AliExpress ردّ أي مبلغ مدفوع وفق سياسة الاسترداد الخاصة بها.",
    "RISK_CLOSED": "أغلقت المنصة هذا الطلب ولن يتم شحنه. تتولى AliExpress ردّ أي مبلغ مدفوع وفق سياسة الاسترداد الخاصة بها.",
    "ORDER_CANCELLED": "تم إلغاء طلبك ولن يتم شحنه. تتولى AliExpress ردّ أي مبلغ مدفوع وفق سياسة الاسترداد الخاصة بها.",
    "PAYMENT_REFUNDED": "تم ردّ مبلغ هذا الطلب، لذا لن يتم شحنه. تعالج AliExpress عمليات الاسترداد وفق سياسة الاسترداد الخاصة بها.",
    "PAYMENT_UNKNOWN": "ننتظر تأكيد الدفع لطلبك، وسنواصل معالجته فور وصوله.",
    "PAYMENT_UNPAID": "لم نستلم دفعة طلبك بعد. سنواصل معالجة الطلب فور اكتمال الدفع.",
    "PAYMENT_AWAITING_CONFIRMATION": "نؤكد حاليًا مبلغ الدفع لطلبك، وسنواصل معالجته فور الانتهاء من ذلك.",
    "PAYMENT_FAILED": "لم تتم عملية الدفع لطلبك. يمكنك الاطلاع على حالة الدفع في تفاصيل الطلب على AliExpress.",
    "PAYMENT_PROCESSING": "في أوقات الذروة مثل 11.11 تستغرق المدفوعات بالبطاقة وقتًا أطول، وعادةً ما تكتمل خلال 1–6 ساعات. سنواصل معالجة طلبك فور اكتمال الدفع.",
    "RISK_REVIEW": "يخضع طلبك لفحص أمني اعتيادي. سنبلغك فور انتهاء الفحص.",
    "CANCEL_REQUESTED": "استلمنا طلب الإلغاء الخاص بك ونعمل على معالجته. لن يتم شحن الطلب ما دام طلب الإلغاء قيد المعالجة.",
    "TRACKING_NUMBER_PENDING": "ننتظر أن تُصدر شركة الشحن رقم تتبع لطلبك، وسنرسله إليك فور حصولنا عليه.",
    "SHIPPING_NOTICE_MISSING": "يجري تجهيز طلبك للشحن. سنرسل إليك معلومات التتبع فور شحنه.",
    "TRACKING_CONFLICT": "نتحقق من معلومات تتبع طردك، وسنبلغك فور تأكيدها.",
    "TRACKING_MISMATCH": "نتحقق من معلومات تتبع طردك، وسنبلغك فور تأكيدها.",
    "FUNDS_IN_SETTLEMENT": "تعالج AliExpress الاتفاق الخاص بطلبك وفق سياسة الاسترداد الخاصة بها. سنبلغك عند اكتماله.",
    "DISPUTE_OPEN": "استلمنا النزاع الذي فتحته ونعمل عليه. سنرد عليك في النزاع قريبًا.",
    "FREIGHT_UNPAID": "نرتب شحن طلبك مع شركة الشحن، وسنرسل إليك معلومات التتبع فور شحنه.",
    "RULE_ERROR": "نستكمل الفحوصات الأخيرة لطلبك وسنوافيك بالمستجدات قريبًا.",
}
