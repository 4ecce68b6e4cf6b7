"""Limits of the ingest API: what one item and one batch may carry."""

from datetime import timedelta

#: A VK post holds up to 16,384 characters; a letter scanned to text may be longer.
TEXT_MAX_CHARS = 20_000
ATTACHMENTS_MAX = 20
ATTACHMENT_URL_MAX_CHARS = 2000
BATCH_MAX_ITEMS = 1000
#: The body of one item (its text at the limit, escaped as JSON, is about 120 KB).
ITEM_MAX_BYTES = 512 * 1024
#: The body of one batch.
BATCH_MAX_BYTES = 30 * 1024 * 1024
#: A source whose clock runs a little fast is not an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
