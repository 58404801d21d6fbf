"""Faker with a fixed seed: its providers are found by listing its own package directory
(and, frozen, by its frozen-program branch).

Dates are drawn as a day count from a fixed start: date_of_birth counts back from today, and
faker's date ranges go through the local time zone, so either could differ between two runs.
"""

from datetime import date, timedelta

from faker import Faker

Faker.seed(4321)
for locale in ("de_DE", "ja_JP", "en_US"):
    fake = Faker(locale)
    born = date(1950, 1, 1) + timedelta(days=fake.random_int(0, 18000))
    print(locale, fake.name(), "|", fake.city(), "|", born.isoformat())
fake = Faker()
print("misc", fake.user_name(), fake.ipv4(), fake.color_name(), fake.sha1()[:12])
print("providers", len(fake.providers))
