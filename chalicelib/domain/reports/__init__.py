"""Report arithmetic: plain functions with no AWS imports.

``working_hours`` measures time the way a rep works it, ``histogram`` keeps distributions as
fixed buckets (so medians need no scan), ``funnel``, ``contact`` and ``scorecard`` turn summed
counters into the figures the API shows, and ``counters`` says what every source item adds to
the counters (the live writers and the rebuild both use it, so they cannot disagree).
"""
