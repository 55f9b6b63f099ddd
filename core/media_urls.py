"""A stored file's absolute URL, as `request.build_absolute_uri(file.url)` gives it, for lists that
show hundreds of photos.

Django builds each such URL with a `urljoin`, a `urlsplit` and an `iri_to_uri`, about a tenth of
the API's catalogue page. For files in a local storage (`FileSystemStorage` with a site-relative
`base_url`, the default), the absolute prefix (scheme, host, MEDIA_URL) is the same for every file
of a request: it is built once, by Django, and each file's quoted name is appended. Any other
storage, and any name that `urljoin` would rewrite (an empty, `.` or `..` segment), takes Django's
own road, so the result is the same string either way (tests/core/test_media_urls.py).
"""

from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri

_PREFIXES = "_shanhuo_media_prefixes"


def absolute_file_url(request, file) -> str:
    """The absolute URL of a stored file (a FieldFile with a name)."""
    prefix = _prefix(request, file.storage)
    if prefix is not None:
        path = filepath_to_uri(file.name).lstrip("/")
        if not any(segment in ("", ".", "..") for segment in path.split("/")):
            return prefix + path
    return request.build_absolute_uri(file.url)


def _prefix(request, storage) -> str | None:
    """The storage's absolute base URL for this request, or None where names are not simply appended."""
    try:
        kept = request.__dict__[_PREFIXES]
    except KeyError:
        kept = request.__dict__[_PREFIXES] = {}
    try:
        return kept[id(storage)][1]
    except KeyError:
        pass
    base_url = storage.base_url if isinstance(storage, FileSystemStorage) else None
    simple = (
        isinstance(base_url, str)
        and base_url.startswith("/")
        and base_url.endswith("/")
        and (base_url == "/" or not any(s in ("", ".", "..") for s in base_url[1:-1].split("/")))
    )
    prefix = request.build_absolute_uri(base_url) if simple else None
    kept[id(storage)] = (storage, prefix)  # the storage is kept so that its id is not reused
    return prefix
