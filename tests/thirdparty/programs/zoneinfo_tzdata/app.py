"""zoneinfo with the tzdata package as its only source of time zones: the sandbox has no
/usr/share/zoneinfo, and the test runs python with PYTHONTZPATH="" so that it has none
either. tzdata's zone files are package data read through importlib.resources."""

from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def main() -> None:
    paris = ZoneInfo("Europe/Paris")
    moment = datetime(2024, 3, 31, 0, 30, tzinfo=timezone.utc)  # DST starts at 01:00 UTC
    for step in range(3):
        local = (moment + timedelta(hours=step)).astimezone(paris)
        print("paris", local.isoformat(), local.tzname())
    new_york = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    print("new york fold", new_york.isoformat(), new_york.tzname(), new_york.utcoffset())
    print("kolkata", datetime(2000, 1, 1, tzinfo=timezone.utc)
          .astimezone(ZoneInfo("Asia/Kolkata")).isoformat())
    zones = available_timezones()
    print("zones", len(zones) > 400, "Europe/Paris" in zones, "UTC" in zones)
    try:
        ZoneInfo("Mars/Olympus_Mons")
    except ZoneInfoNotFoundError as exc:
        print("not found", exc)
    print("tzdata", version("tzdata"))


if __name__ == "__main__":
    main()
