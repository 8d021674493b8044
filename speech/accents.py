"""Native English accents a learner may speak with (import-light: the web models read this table).

With an accent set, that accent's own form of each word counts as correct on top of the US reference;
the codes are espeak-ng's, whose rules give each accent's forms (speech.g2p.accent_arpabet).
"""

ENGLISH_ACCENTS: dict[str, str] = {
    "en-gb": "British (southern England)",
    "en-gb-x-rp": "British (Received Pronunciation)",
    "en-gb-scotland": "Scottish",
    "en-gb-x-gbclan": "Northern English (Lancaster)",
    "en-gb-x-gbcwmd": "West Midlands",
    "en-029": "Caribbean",
    "en-us-nyc": "New York City",
}


class UnknownAccentError(ValueError):
    def __init__(self, accent: str) -> None:
        super().__init__(f"unknown accent {accent!r}; known: {', '.join(ENGLISH_ACCENTS)}")
        self.accent = accent


def check_accent(accent: str | None) -> None:
    if accent is not None and accent not in ENGLISH_ACCENTS:
        raise UnknownAccentError(accent)
