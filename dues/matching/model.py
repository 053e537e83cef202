"""The payment-matching model's assumptions: how likely each piece of evidence is when a
candidate is right (P_*), how much an id read from a memo weighs (ID_*, in log-odds), and the
bounds of blocking. How likely the same evidence is for a random payment comes from the book.
"""

# P(observation | candidate right); how likely it is for a random payment comes from the book.
P_NOT_OURS = 0.03  # prior share of payments that settle no open invoice
P_OTHER_PURPOSE = 0.04  # a member paying for something else (event, donation, order)
OTHER_PURPOSE_MEMO = 1000.0  # the memo says so ("conference registration"): rare on dues
P_NAME = {"full": 0.55, "initial": 0.12, "fuzzy": 0.05, "last_only": 0.06, "org": 0.6}
P_NAME_TYPO = 0.03  # a name written with one typing error
# An organisation's name written as a person's is (one word and an initial that starts no word of
# it, "S TALAMONT" beside Talamont Labs): a bank's field cutting it so, now and then.
P_ORG_WRITTEN_AS_PERSON = 0.05
# A middle initial the payer wrote agrees with the record's when the person is right, unless
# the record or the payer has it wrong; by chance as often as that initial among middle names.
P_MIDDLE_AGREES = 0.9
# Initials are written in the order of the names: the first is the given name's ("C A OAKENER" is
# Caroline A., not Allison). A person known by a second given name writes another initial
# before it now and then; a record may lack the name the first initial stands for.
P_LEADING_INITIAL_OTHER = 0.1
# Someone else paying whom the association knows: a person on file at the member's postal code
# with the member's surname, or a payer (name, e-mail, party) who paid the member's dues before;
# a factor on how well the payer's name fits that person, as for the member's own name.
P_HOUSEHOLD = 0.2
P_PAID_BEFORE = 0.8
P_EMAIL_BEFORE = 0.7
# The payer's (card billing) postal code is the member's: the member pays from home, or someone
# living with them does; people move, and pay with a card billed elsewhere.
P_POSTAL_SAME = 0.85
# A relative paying a member's dues lives elsewhere (a grown child, a sibling) in this share.
P_RELATIVE_ELSEWHERE = 0.2
P_NAME_IN_MEMO = 0.25  # the memo names the member (an employer's or relative's payment)
P_NAME_UNRELATED = 0.1  # the name is someone unrelated (a parent, an unknown employer)
LR_MEMO_NAMES_ANOTHER = 0.1  # the memo names another candidate's member ("for Fernando")
P_EMAIL_EXACT = 0.85
P_EMAIL_DOMAIN = 0.3
P_EMAIL_OTHER = 0.35
P_AMOUNT_EXACT = 0.8
P_AMOUNT_STATEMENT = 0.4  # an organisation paying everything billed to it
P_AMOUNT_ALL = 0.05  # a member paying all their open invoices at once
P_AMOUNT_SUBSET = 0.03  # some of an organisation's invoices, found by their sum
P_ROUND_AMOUNT = 0.002  # background: share of payments of one given whole-dollar amount
P_ODD_AMOUNT = 0.0003  # ... of one given amount with cents or odd dollars
P_OTHER_ROUND = 0.01  # a payment for something else: chance of one given round amount
P_OTHER_ODD = 0.001
# Share of payments that are partial, over, or both, for their invoices; a payer who wrote the
# invoice number mostly pays what it says.
P_MISMATCH = {"partial": 0.05, "over": 0.03, "split": 0.02}
NAMED_MISMATCH = 0.3
# What such a payment's amount is, given what was owed: half of it, one of the prices the
# association bills (the renewal form's price paid over a smaller balance), or a round amount
# near the balance (a round number, a fee deducted), less likely the further it is.
P_MISMATCH_HALF = 0.1
P_MISMATCH_PRICE = 0.1
P_MISMATCH_NEAR = 0.5  # spread over $5 steps from the balance as 1/steps
ID_EXACT = 3.8  # log-odds an exact id in the memo adds beyond the prior (typing errors ~2 %)
ID_PORTAL = 7.0  # an invoice number the member portal put in a card payment's reference
ID_UNSURE = 1.8  # same for a year-like number, or an id of the kind the words did not announce
ID_TYPO = 0.0  # same for an id one keystroke from the number read, shared among such ids
ID_MORE = 1.0  # each further invoice of the same candidate named in the memo
LR_OTHER_ID = 0.05  # the memo names an existing id that is not this candidate's
BUCKET_MAX = 30  # amount-only blocking only when this few invoices share the amount
MAX_ACCOUNTS = 40
