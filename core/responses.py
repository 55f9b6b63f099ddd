"""JSON answers in UTF-8: Chinese as its own 3 bytes a character, not a 6-byte `\\uXXXX` escape
(slow rural networks pay for every byte). Every JSON view uses these instead of Django's own."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse as DjangoJsonResponse


def utf8_json(data, **dumps_params) -> str:
    """`json.dumps` without ASCII escapes. Text that UTF-8 cannot carry (a lone surrogate, which a
    client can send as `"\\ud800"` in a JSON string and see echoed in an error) stays escaped,
    so the answer is always valid JSON in valid UTF-8 rather than a 500 when it is encoded."""
    text = json.dumps(data, ensure_ascii=False, **dumps_params)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, **dumps_params)
    return text


class JsonResponse(DjangoJsonResponse):
    """Django's JsonResponse, written by `utf8_json`."""

    def __init__(self, data, encoder=DjangoJSONEncoder, safe=True, json_dumps_params=None, **kwargs):
        if safe and not isinstance(data, dict):
            raise TypeError("In order to allow non-dict objects to be serialized set the safe parameter to False.")
        kwargs.setdefault("content_type", "application/json")
        content = utf8_json(data, cls=encoder, **(json_dumps_params or {}))
        super(DjangoJsonResponse, self).__init__(content=content, **kwargs)
