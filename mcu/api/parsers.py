"""JSON bodies are parsed only when they are shallow enough to parse safely.

A body of a hundred thousand nested brackets makes ``json.loads`` recurse until Python
gives up (a 500); it is refused with a 400 before parsing. The size is limited before the
body is read (``mcu.middleware.RequestSizeLimitMiddleware``).
"""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Does the JSON text nest arrays and objects deeper than ``limit``? Brackets inside
    strings do not count. One pass over the bytes, no recursion."""
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read() if stream is not None else b""
        if json_depth_exceeds(data, getattr(settings, "API_JSON_MAX_DEPTH", 32)):
            raise ParseError(_("Слишком глубокая вложенность JSON."))
        return super().parse(io.BytesIO(data), media_type, parser_context)
