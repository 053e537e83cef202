"""Machine-learning machinery shared by the apps that predict (renewals' churn, dues' late
payment): the booster with its calibration and feature spec, the metrics every version is judged
by, training with a held-back early-stopping set, the "activate only when better" rule, and the
abstract model-version row each app stores its versions in.

Nothing here knows what a member or an invoice is: the apps bring their own features and labels.
"""
