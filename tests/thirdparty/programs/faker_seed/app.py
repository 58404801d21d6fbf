"""Faker with a fixed seed: its providers are found by listing its own package directory
(and, frozen, by its frozen-program branch)."""

from faker import Faker

Faker.seed(4321)
for locale in ("de_DE", "ja_JP", "en_US"):
    fake = Faker(locale)
    print(locale, fake.name(), "|", fake.city(), "|", fake.date_of_birth().isoformat())
fake = Faker()
print("misc", fake.user_name(), fake.ipv4(), fake.color_name(), fake.sha1()[:12])
print("providers", len(fake.providers))
