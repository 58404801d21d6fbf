"""A plugin loaded only through its entry point: no code imports plug_alpha by name."""


class Shout:
    """Upper-cases its input."""

    REQUIRES_API = ">=2,<3"

    def run(self, text: str) -> str:
        return text.upper() + "!"
