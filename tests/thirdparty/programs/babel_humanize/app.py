"""Locale data and gettext catalogues: babel's CLDR data files and humanize's .mo files in
its package's locale/ directory, found through gettext's localedir."""

import datetime as dt

import humanize
from babel.dates import format_date, format_timedelta
from babel.numbers import format_currency, format_decimal

day = dt.date(2024, 2, 29)
for locale in ("de_DE", "fr_FR", "ja_JP"):
    print(locale, format_date(day, format="full", locale=locale),
          format_currency(1234.5, "EUR", locale=locale), format_decimal(0.125, locale=locale),
          format_timedelta(dt.timedelta(days=3), locale=locale))
print("en", humanize.naturalsize(123456789), humanize.intword(12345678), humanize.ordinal(3))
for locale in ("de_DE", "fr_FR", "ru_RU"):
    humanize.i18n.activate(locale)
    print(locale, humanize.naturaldelta(dt.timedelta(hours=3)), humanize.ordinal(2))
humanize.i18n.deactivate()
