"""Required elements every message carries, added by code after the template or the model:
the "sent on behalf of" line, an opt-out line on marketing-like messages, and a clear label on
messages sent under an Auto policy."""

from dataclasses import dataclass

from reviews.drafting.purposes import Purpose

SMS_LIMIT = 320  # two SMS segments; longer messages arrive split or truncated on many phones
EMAIL_SUBJECT_LIMIT = 120
EMAIL_BODY_LIMIT = 4000


@dataclass(frozen=True)
class Element:
    code: str
    label: str
    text: str


def required_elements(*, purpose: Purpose, channel: str, auto: bool, association: str):
    """The lines a message must contain, in the order they are appended."""
    if channel == "sms":
        lines = [Element("sender_line", "sent on behalf of", f"On behalf of {association}.")]
        if purpose.marketing:
            lines.append(Element("opt_out", "opt-out", "Reply STOP to opt out."))
        if auto:
            lines.append(Element("auto_label", "automated label", "Automated message."))
        return lines
    lines = [
        Element(
            "sender_line",
            "sent on behalf of",
            f"Sent on behalf of {association} by its membership team.",
        ),
    ]
    if purpose.marketing:
        lines.append(
            Element(
                "opt_out",
                "opt-out",
                f"You receive this as a member of {association}. To stop these messages, "
                "reply UNSUBSCRIBE.",
            )
        )
    if auto:
        lines.append(
            Element(
                "auto_label",
                "automated label",
                "Automated message: sent under a policy set by the membership team, without "
                "a person reviewing it. Reply to reach a person.",
            )
        )
    return lines


def append_elements(body: str, elements: list[Element], channel: str) -> str:
    missing = [e.text for e in elements if e.text not in body]
    if not missing:
        return body
    if channel == "sms":
        return " ".join([body.rstrip(), *missing])
    return body.rstrip() + "\n\n" + "\n".join(missing)
