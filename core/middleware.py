from django.http import HttpResponseBadRequest


class RejectNulCharactersMiddleware:
    """A NUL character in a URL or query string is never meaningful, and PostgreSQL refuses it in
    text: answer 400 here rather than a 500 from the first query that uses the value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [value for _, values in request.GET.lists() for value in values]
        if "\x00" in request.path or any("\x00" in value for value in values):
            return HttpResponseBadRequest("Bad request: the address contains a NUL character.")
        return self.get_response(request)
