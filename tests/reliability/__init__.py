"""The reliability suite (issue 8): crash trials, hostile input, faults, two instances, secrets.

CI size by default; ``--reliability-full`` or ``WINNOW_RELIABILITY=full`` for the full sizes.
Each run writes its tables to ``tests/reliability/out/`` (git-ignored); README's "Reliability" section
is pasted from there.
"""
