"""Django's own form messages that farmers, NGO officers and shoppers meet, in our words.

Django's Chinese for these speaks like a database: "这个字段是必填项" (this field is required),
"输入整数" (enter an integer) for a farmer who typed "20斤", "不允许是用空字符串". Our catalogue
(LOCALE_PATHS) is merged after Django's own, so an entry in it with Django's exact English replaces
Django's Chinese everywhere, the admin included (see docs/glossary.md for the words).

The msgids are listed here only so that `makemessages` keeps their entries in our catalogue;
nothing imports this module to run it. `tests/config/test_translations.py` checks that each one
is still a message of the installed Django (a Django upgrade that rewords one shows up there).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    gettext_noop("This field is required."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid value."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("The submitted file is empty."),
)

PLURAL_MESSAGES = (
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this filename has at most %(max)d character (it has %(length)d).",
        "Ensure this filename has at most %(max)d characters (it has %(length)d).",
        "max",
    ),
    ngettext_lazy("Please submit at most %(num)d form.", "Please submit at most %(num)d forms.", "num"),
    ngettext_lazy("Please submit at least %(num)d form.", "Please submit at least %(num)d forms.", "num"),
)
