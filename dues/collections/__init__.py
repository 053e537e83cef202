"""Collections (issue #17): late-payment risk of every open invoice, receivables (aging, DSO,
expected collections) and the registry through which the dunning half shows each invoice's next
step and pause.

``selectors`` (risk scores by invoice), ``status`` (the invoice-status provider registry),
``receivables`` (aging, DSO and expected collections, reused by the month-end board pack).
"""
