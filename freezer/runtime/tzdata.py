"""zoneinfo's last resort: the build machine's zone files, carried in the binary.

python finds a zone in the system's TZPATH directories, then in the `tzdata` package. Where
the machine running a frozen program has neither (a bare container), the zones the build
machine had are read from the binary's `__freezer__/tzdata` entry (freezer/tz_database.py
writes it): `zoneinfo._common.load_tzdata`, which zoneinfo calls only after the system's
files, falls back on it, and `available_timezones()` lists its zones when it would find
none. Nothing is read unless a zone is missing from the system.
"""

ENTRY = "__freezer__/tzdata"
_MAGIC = b"FZTZ1\n"
_zones = None  # key -> bytes, read on first need; {} where the binary holds none
_payload = None  # the binary's payload (runtime/natives.py), set by patches()


def _database():
    global _zones
    if _zones is None:
        _zones = {}
        try:
            raw = _payload.zip().get_data(ENTRY)  # deflated: zipimport inflates it
        except Exception:
            return _zones
        if raw.startswith(_MAGIC):
            index, _, blob = raw[len(_MAGIC):].partition(b"\n\n")
            for line in index.decode().splitlines():
                key, offset, size = line.rsplit(" ", 2)
                start = int(offset)
                _zones[key] = blob[start:start + int(size)]
    return _zones


def patch_common(common):
    """zoneinfo._common: load_tzdata(key) falls back on the carried zones."""
    original = common.load_tzdata

    def load_tzdata(key):
        try:
            return original(key)
        except common.ZoneInfoNotFoundError:
            data = _database().get(key)
            if data is None:
                raise
            import io

            return io.BytesIO(data)

    load_tzdata.__doc__ = original.__doc__
    common.load_tzdata = load_tzdata


def patch_tzpath(tzpath):
    """zoneinfo._tzpath: available_timezones() gives the carried zones where it finds
    none on the system (zoneinfo imports it from there)."""
    original = tzpath.available_timezones

    def available_timezones():
        found = original()
        if found:
            return found
        return {key for key in _database() if key != "posixrules"}

    available_timezones.__doc__ = original.__doc__
    tzpath.available_timezones = available_timezones


def patches(payload):
    """{module name: function(module)} for sources.install's import watcher."""
    global _payload
    _payload = payload
    return {"zoneinfo._common": patch_common, "zoneinfo._tzpath": patch_tzpath}
