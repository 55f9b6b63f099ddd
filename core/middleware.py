from django.conf import settings
from django.utils import translation
from django.views.defaults import bad_request


class RejectNulCharactersMiddleware:
    """A NUL character in a URL or query string is never meaningful, and PostgreSQL refuses it in
    text: answer 400 here rather than a 500 from the first query that uses the value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [value for _, values in request.GET.lists() for value in values]
        if "\x00" in request.path or any("\x00" in value for value in values):
            return bad_request(request, exception=None)
        return self.get_response(request)


class ChineseFirstForFarmerPagesMiddleware:
    """Farmers' and NGO officers' pages open in Chinese, whatever language a (often second-hand or
    English-set) phone's browser asks for; a language the person chose in the menu still wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chose = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        if not chose and request.path_info.startswith(settings.CHINESE_FIRST_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
