"""`core.media_urls.absolute_file_url` must give exactly what Django's own road gives,
`request.build_absolute_uri(file.url)`, for any name and any storage: it only skips the work."""

import pytest
from django.core.files.storage import FileSystemStorage, Storage
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory

from core.media_urls import absolute_file_url

NAMES = [
    "products/12/small.jpg",
    "products/12/小米 辣椒.jpg",
    "products/12/a b#c?d%20e&f=g;h:i.jpg",
    "products/12/~tilde!(paren)*'quote.webp",
    "/products/12/leading-slash.jpg",
    "products//12/empty-segment.jpg",
    "products/./12/dot.jpg",
    "products/../12/dotdot.jpg",
    "products/12/..",
    "products/12/.hidden.jpg",
    "products\\12\\backslash.jpg",
    "http://elsewhere.example/x.jpg",
    "//elsewhere.example/x.jpg",
]
BASES = [
    "/media/",
    "/",
    "/shop/media/上传/",
    "/media/./x/",
    "/media//x/",
    "https://cdn.example.com/media/",
    "//cdn.example.com/media/",
]


def _local(base_url):
    """A local storage; nothing is written, only names joined."""
    return FileSystemStorage(location="unused", base_url=base_url)


class _OneFile:
    """What a FieldFile needs from its field."""

    def __init__(self, storage):
        self.storage = storage


def _file(storage, name):
    return FieldFile(None, _OneFile(storage), name)


class _RemoteStorage(Storage):
    """A storage of another kind: its own URLs, never joined by hand."""

    def url(self, name):
        return f"https://objects.example.com/bucket/{name}?signature=abc"


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("base_url", BASES)
def test_the_same_url_as_djangos_road_for_every_name(base_url, secure, settings):
    settings.ALLOWED_HOSTS = ["shop.example.cn"]
    storage = _local(base_url)
    request = RequestFactory().get("/graphql/", secure=secure, HTTP_HOST="shop.example.cn")
    for name in NAMES:
        file = _file(storage, name)
        expected = request.build_absolute_uri(file.url)
        assert absolute_file_url(request, file) == expected, name
        # And again, from the prefix kept on the request.
        assert absolute_file_url(request, file) == expected, name


def test_another_storage_takes_djangos_road():
    request = RequestFactory().get("/graphql/", HTTP_HOST="testserver")
    remote, local = _RemoteStorage(), _local("/media/")
    for name in NAMES[:3]:
        assert absolute_file_url(request, _file(remote, name)) == request.build_absolute_uri(_RemoteStorage().url(name))
        # One request, two storages: each its own prefix.
        assert absolute_file_url(request, _file(local, name)) == request.build_absolute_uri(_file(local, name).url)


def test_the_prefix_is_built_once_a_request(monkeypatch):
    """The point of the module: Django builds the absolute prefix once, not once a photo."""
    storage = _local("/media/")
    request = RequestFactory().get("/graphql/", HTTP_HOST="testserver")
    built = []
    original = type(request).build_absolute_uri

    def counted(self, location=None):
        built.append(location)
        return original(self, location)

    monkeypatch.setattr(type(request), "build_absolute_uri", counted)
    urls = [absolute_file_url(request, _file(storage, f"products/{n}/small.jpg")) for n in range(50)]
    assert urls[7] == "http://testserver/media/products/7/small.jpg"
    assert built == ["/media/"]
