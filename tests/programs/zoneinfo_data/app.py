"""Time zones by name: python reads the machine's zone files; frozen, on a machine without
them (the sandbox), the binary's copy of the build machine's answers the same."""

import datetime
import zoneinfo

paris = zoneinfo.ZoneInfo("Europe/Paris")
summer = datetime.datetime(2024, 7, 1, 12, 30, tzinfo=paris)
print(summer.isoformat(), summer.tzname(), summer.utcoffset())
winter = datetime.datetime(2024, 1, 15, 8, 0, tzinfo=paris)
print(winter.astimezone(zoneinfo.ZoneInfo("America/New_York")).isoformat())
print(datetime.datetime(2024, 3, 31, 0, 59, tzinfo=datetime.timezone.utc).astimezone(paris))
print(zoneinfo.ZoneInfo("Asia/Kolkata").utcoffset(None), zoneinfo.ZoneInfo("UTC").key)
print(zoneinfo.ZoneInfo.no_cache("Europe/Paris") is not paris)
zones = zoneinfo.available_timezones()
print("zones", len(zones), "Europe/Paris" in zones, "posixrules" in zones)
for key in ("Mars/Olympus_Mons", "../etc/passwd"):
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        print(type(error).__name__, error)
print(zoneinfo.TZPATH[:1])
