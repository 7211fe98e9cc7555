"""Team work: assignment of samples to annotators in batches, work packages, merging, adjudication.

- :mod:`app.packages.assign` splits samples into batches (deterministic with a seed, with overlap);
- :mod:`app.packages.workpackage` writes a batch as a ``.winnowpkg`` file, checks a returned one and
  merges it back (one undoable operation);
- :mod:`app.packages.adjudication` lists the samples two people changed differently and resolves
  them, hunk by hunk (:mod:`app.packages.hunks`, pure).
"""
