"""Renewal risk: churn model, daily scoring, outreach and win-back proposals, the dashboard."""

import os

# OpenMP threads that spin while they wait starve each other (and the web and the workers) on a
# busy two-core host: one training run took 30 s instead of 0.3 s. Wait passively unless the
# environment says otherwise; this must run before XGBoost loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
