"""A plugin for a newer host API: the host loads it, checks its requirement and skips it."""


class NeedsNewerHost:
    REQUIRES_API = ">=3"

    def run(self, text: str) -> str:
        raise AssertionError("the host must have skipped this plugin")
