"""עברית (Hebrew): the buyer quick replies, one per reason code.

Customer service copies the BUYER texts from the hold board (/holds) and pastes them to the
buyer. To correct a text, edit it here and run `make test`. Keep each to one or two short
sentences (at most 200 characters); never mention risk control, fraud or this system; never
promise a shipment or a refund the seller cannot keep (refunds are processed by AliExpress
under its refund policy). README: "Translating and correcting texts".
"""

NAME = "עברית"  # as the hold board labels this language

BUYER = {
    "ORDER_UNKNOWN": "אנחנו בודקים את פרטי ההזמנה שלך ונעדכן בקרוב.",
    "ORDER_CLOSED": "ההזמנה נסגרה ולא תישלח. כל תשלום יוחזר על ידי AliExpress בהתאם למדיניות ההחזרים שלה.",
    "RISK_CLOSED": "ההזמנה נסגרה על ידי הפלטפורמה ולא תישלח. כל תשלום יוחזר על ידי AliExpress בהתאם למדיניות ההחזרים שלה.",
    "ORDER_CANCELLED": "ההזמנה שלך בוטלה ולא תישלח. כל תשלום יוחזר על ידי AliExpress בהתאם למדיניות ההחזרים שלה.",
    "PAYMENT_REFUNDED": "התשלום עבור ההזמנה הוחזר, ולכן ההזמנה לא תישלח. ההחזרים מטופלים על ידי AliExpress בהתאם למדיניות ההחזרים שלה.",
    "PAYMENT_UNKNOWN": "אנחנו ממתינים לאישור התשלום עבור ההזמנה שלך ונמשיך בטיפול בה ברגע שיתקבל.",
    "PAYMENT_UNPAID": "עדיין לא קיבלנו את התשלום עבור ההזמנה שלך. נמשיך בטיפול בה ברגע שהתשלום יושלם.",
    "PAYMENT_AWAITING_CONFIRMATION": "אנחנו מאשרים את סכום התשלום של ההזמנה שלך ונמשיך בטיפול בה ברגע שנסיים.",
    "PAYMENT_FAILED": "התשלום עבור ההזמנה שלך לא עבר. אפשר לראות את סטטוס התשלום בפרטי ההזמנה ב-AliExpress.",
    "PAYMENT_PROCESSING": "בתקופות עמוסות כמו 11.11 תשלומים בכרטיס אשראי נמשכים זמן רב יותר, ובדרך כלל מאושרים תוך 1–6 שעות. נמשיך בטיפול בהזמנה ברגע שהתשלום יאושר.",
    "RISK_REVIEW": "ההזמנה שלך עוברת בדיקת אבטחה שגרתית. נעדכן אותך ברגע שהבדיקה תסתיים.",
    "CANCEL_REQUESTED": "קיבלנו את בקשת הביטול שלך ואנחנו מטפלים בה. ההזמנה לא תישלח כל עוד הבקשה פתוחה.",
    "TRACKING_NUMBER_PENDING": "אנחנו ממתינים שחברת המשלוחים תקצה מספר מעקב להזמנה שלך, ונשלח לך אותו ברגע שנקבל אותו.",
    "SHIPPING_NOTICE_MISSING": "ההזמנה שלך בהכנה למשלוח. נשלח לך את פרטי המעקב ברגע שתישלח.",
    "TRACKING_CONFLICT": "אנחנו מאמתים את פרטי המעקב של החבילה שלך ונעדכן אותך ברגע שיאושרו.",
    "TRACKING_MISMATCH": "אנחנו מאמתים את פרטי המעקב של החבילה שלך ונעדכן אותך ברגע שיאושרו.",
    "FUNDS_IN_SETTLEMENT": "ההסכם לגבי ההזמנה שלך מטופל על ידי AliExpress בהתאם למדיניות ההחזרים שלה. נעדכן אותך כשהטיפול יסתיים.",
    "DISPUTE_OPEN": "קיבלנו את המחלוקת שפתחת ואנחנו מטפלים בה. נשיב לך במחלוקת בקרוב.",
    "FREIGHT_UNPAID": "אנחנו מתאמים את משלוח ההזמנה שלך עם חברת המשלוחים ונשלח לך את פרטי המעקב ברגע שתישלח.",
    "RULE_ERROR": "אנחנו משלימים את הבדיקות האחרונות של ההזמנה שלך ונעדכן בקרוב.",
}
