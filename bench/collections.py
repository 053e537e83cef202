"""Benchmarks of collections, ``python bench/collections.py --members 100000`` (JSON).

The dunning keys (``dunning_plan_seconds``: plan the day's steps, target 10 s at 100,000
members; ``dunning_file_seconds``: file 5,000 proposals, target 60 s) come from bench/dunning.py;
the late-payment scoring and model keys are added beside them by the late-payment work.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.dunning import main

if __name__ == "__main__":
    main()
