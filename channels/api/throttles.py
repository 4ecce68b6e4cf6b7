from rest_framework.throttling import ScopedRateThrottle


class IngestThrottle(ScopedRateThrottle):
    """Per integration account, i.e. per token (an account has one), at the rate of the
    view's ``throttle_scope`` in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``: ``ingest``
    for single items, ``ingest_batch`` for batches. Over it: 429 with ``Retry-After``."""
