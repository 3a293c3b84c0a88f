"""Follow-up message templates: Arabic and English defaults, the placeholders each may use,
validation (so a bad template is refused at ``PUT /settings``, never found at send time) and
rendering.

An organisation overrides a template per language in ``settings.message_templates``
(``{"checkin": {"ar": "...", "en": "..."}}``). Whatever the template says, the rendered text
starts by saying it is automated (DOMAIN.md section 4), and a bonus-material message always says
plainly that the gift is free and nothing was added to the order (DOMAIN.md section 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Literal

Language = Literal["ar", "en"]
TemplateName = Literal[
    "checkin", "checkin_refund_window", "review_request", "referral_request", "coupon", "bonus_material"
]
TEMPLATE_NAMES: tuple[str, ...] = (
    "checkin",
    "checkin_refund_window",
    "review_request",
    "referral_request",
    "coupon",
    "bonus_material",
)

AUTOMATED = {"ar": "رسالة آلية", "en": "Automated message"}
FREE_GIFT = {"ar": "هدية مجانية — لم يُضف أي مبلغ إلى طلبك", "en": "a free gift — nothing was added to your order"}

_COMMON = frozenset({"customer_name", "product", "order_ref", "support_email", "link"})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "checkin": _COMMON,
    "checkin_refund_window": _COMMON | {"refund_until"},
    "review_request": _COMMON,
    "referral_request": _COMMON,
    "coupon": _COMMON | {"coupon_code", "coupon_value", "coupon_expires"},
    "bonus_material": _COMMON,
}

# What {link} and {support_email} say when the organisation configured no link or address.
NO_LINK = {
    "review_request": {
        "ar": "بالرد على هذه الرسالة بتقييم من 1 إلى 5",
        "en": "reply to this message with 1 to 5 stars",
    },
    "referral_request": {"ar": "بالرد على هذه الرسالة باسمه ورقمه", "en": "reply with their name and number"},
}
NO_SUPPORT_EMAIL = {"ar": "بالرد على هذه الرسالة", "en": "reply to this message"}


@dataclass(frozen=True)
class Text:
    body: str
    subject: str | None = None


DEFAULTS: dict[tuple[str, str], Text] = {
    ("checkin", "ar"): Text(
        "مرحبًا {customer_name}، هل كل شيء على ما يرام مع {product}؟ رد على هذه الرسالة وسيساعدك أحد أفراد فريقنا.",
        "كيف تجد طلبك رقم {order_ref}؟",
    ),
    ("checkin", "en"): Text(
        "Hello {customer_name}, is everything working with {product}? Reply to this message and a person on "
        "our team will help.",
        "How is your order {order_ref}?",
    ),
    ("checkin_refund_window", "ar"): Text(
        "مرحبًا {customer_name}، هل كل شيء على ما يرام مع {product}؟ فريق الدعم معك حتى {refund_until} "
        "(مدة الاسترجاع): تواصل معنا {support_email}.",
        "كيف تجد طلبك رقم {order_ref}؟",
    ),
    ("checkin_refund_window", "en"): Text(
        "Hello {customer_name}, is everything working with {product}? Our support is here for you until "
        "{refund_until} (your refund window): {support_email}.",
        "How is your order {order_ref}?",
    ),
    ("review_request", "ar"): Text(
        "مرحبًا {customer_name}، ما رأيك في {product}؟ تقييمك يساعد غيرك على الاختيار: {link}",
        "ما رأيك في طلبك رقم {order_ref}؟",
    ),
    ("review_request", "en"): Text(
        "Hello {customer_name}, how do you like {product}? Your rating helps other customers choose: {link}",
        "How do you like your order {order_ref}?",
    ),
    ("referral_request", "ar"): Text(
        "مرحبًا {customer_name}، سعدنا باختيارك {product}. هل تعرف من قد يعجبه أيضًا؟ أخبرنا {link}",
        "هل تعرف من قد يعجبه {product}؟",
    ),
    ("referral_request", "en"): Text(
        "Hello {customer_name}, we are glad you chose {product}. Do you know someone who would like it too? "
        "Tell us: {link}",
        "Do you know someone who would like {product}?",
    ),
    ("coupon", "ar"): Text(
        "مرحبًا {customer_name}، شكرًا لطلبك. خصم {coupon_value} على طلبك القادم بالرمز {coupon_code}، "
        "صالح لمرة واحدة حتى {coupon_expires}.",
        "خصم على طلبك القادم",
    ),
    ("coupon", "en"): Text(
        "Hello {customer_name}, thank you for your order. Here is {coupon_value} off your next purchase with "
        "the code {coupon_code}, valid once until {coupon_expires}.",
        "A discount for your next purchase",
    ),
    ("bonus_material", "ar"): Text(
        "مرحبًا {customer_name}، مع {product} نهديك ما يلي، هدية مجانية — لم يُضف أي مبلغ إلى طلبك:\n{link}",
        "هدية مجانية مع طلبك رقم {order_ref}",
    ),
    ("bonus_material", "en"): Text(
        "Hello {customer_name}, with {product} you also get the following, a free gift — nothing was added "
        "to your order:\n{link}",
        "A free gift with your order {order_ref}",
    ),
}


def template_problems(name: str, text: str) -> list[str]:
    """What is wrong with a template (empty: nothing). Placeholders are ``{name}``; a literal
    brace is written twice (``{{``)."""
    allowed = PLACEHOLDERS.get(name)
    if allowed is None:
        return [f"{name} is not a template; known: {', '.join(TEMPLATE_NAMES)}"]
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as error:
        return [f"{name} is malformed ({error}); write placeholders as {{name}} and a literal brace as {{{{ or }}}}"]
    problems = []
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if not field_name.isidentifier() or spec or conversion:
            shown = field_name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            problems.append(f"{name} has a malformed placeholder {{{shown}}}; write placeholders as {{name}}")
        elif field_name not in allowed:
            problems.append(
                f"{name} names an unknown placeholder {{{field_name}}}; it may use {', '.join(sorted(allowed))}"
            )
    return problems


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:  # never crash at send time (templates are validated before)
        return "{" + key + "}"


def render(name: str, language: str, values: dict[str, str], custom: dict[str, dict[str, str]] | None = None) -> Text:
    """The text of template ``name`` in ``language`` (the organisation's own if it has one), with
    the automated-message label and, for bonus materials, the free-gift label guaranteed."""
    lang = language if language in AUTOMATED else "en"
    default = DEFAULTS[(name, lang)]
    own = ((custom or {}).get(name) or {}).get(lang)
    body_template = own if own and not template_problems(name, own) else default.body
    filled = _Keep(values)
    body = body_template.format_map(filled).strip()
    if name == "bonus_material" and FREE_GIFT[lang] not in body:
        body = f"{FREE_GIFT[lang]}.\n{body}"
    label = AUTOMATED[lang]
    if not body.startswith(label):
        body = f"{label}: {body}"
    subject = f"{label}: {default.subject.format_map(filled)}" if default.subject else None
    return Text(body, subject)
