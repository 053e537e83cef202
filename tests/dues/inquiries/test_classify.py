"""The rules classifier: quoted history, signatures, negation, requests and amount questions."""

from dues.inquiries.classify import classify_rules, strip_signature


def test_classify_rules_negated_cancel_is_not_a_cancellation():
    # given a member who says outright they do not want to cancel
    text = "I don't want to cancel, I just want to understand how the amount was calculated."

    # when
    found = classify_rules("Question about my dues", text)

    # then
    assert found.category == "charge_explanation"
    assert "cancellation" not in found.categories


def test_classify_rules_quoted_reminder_does_not_outvote_the_reply():
    # given a one-line refusal above our own renewal reminder
    text = (
        "No thank you, please cancel it.\n\n"
        "On Mon, Nov 16, 2026 at 10:12 AM Dues Desk <billing@example.org> wrote:\n"
        "> Your balance of $490.00 is past due. Did you receive our invoice? Pay online.\n"
    )

    # when
    found = classify_rules("RE: Reminder: your dues are past due", text)

    # then
    assert found.category == "cancellation"


def test_strip_signature_drops_the_sign_off_and_disclaimer():
    text = (
        "Am I paid up for 2027?\n\nKind regards,\nDenise Walsh\n"
        "Accounts Payable\nPlease update your records if you cancel this email."
    )

    assert strip_signature(text) == "Am I paid up for 2027?\n"


def test_classify_rules_signature_words_do_not_count():
    # given a payment question whose signature mentions cancelling and a new address
    text = (
        "Did you receive my payment last week?\n\nThanks,\nBob\n"
        "Our new address: 1 Main St. To cancel these emails reply STOP."
    )

    # when
    found = classify_rules("payment", text)

    # then
    assert found.category == "payment_status"


def test_classify_rules_why_question_about_an_amount_asks_for_an_explanation():
    found = classify_rules("renewal", "why is it 395 this year?? it was 310 last year")

    assert found.category == "charge_explanation"


def test_classify_rules_typo_in_a_keyword_still_counts():
    found = classify_rules("", "can I pay in instalmnets please")

    assert found.category == "plan_request"


def test_classify_rules_refund_of_a_double_payment_is_a_dispute():
    # given two questions: a duplicate payment and a refund of one of them
    text = "I paid my dues twice by mistake. Can you refund one of them?"

    # when
    found = classify_rules("double payment", text)

    # then the duplicate needs the action, not a cancellation
    assert found.category == "dispute"


def test_classify_rules_new_phone_number_written_out_is_a_contact_update():
    found = classify_rules("phone", "new cell 555 210 8891")

    assert found.category == "contact_update"


def test_classify_rules_reads_the_everyday_words_of_each_need():
    # given messages written the way members write, none using the classes' own names
    cases = {
        "did my payment go thru? card was charged yesterday but portal still says due": (
            "payment_status"
        ),
        "I lost my job in January. Could we set up a payment schedule? I can do $50 a month.": (
            "plan_request"
        ),
        "I want out. Stop billing me, I'm done with this organization.": "cancellation",
        "i never authorised this charge of 150 on my visa, who approved this??": "dispute",
        "I retired in January. My renewal shows the full amount, how is it calculated?": (
            "charge_explanation"
        ),
    }
    # when each is classified, then it lands in the class a person would route it to
    assert {text: classify_rules("", text).category for text in cases} == cases
