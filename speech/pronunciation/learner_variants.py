"""Typical learner mispronunciations of English words, as exact ARPAbet edits.

The same rules serve twice: the corpus builder renders them to make labelled learner speech, and the
scorer puts them into each sentence's grammar so that the decoder can say *which* sound was wrong.
Each rule is one edit of one canonical pronunciation (CMUdict ARPAbet, no stress digits).
"""

from __future__ import annotations

from dataclasses import dataclass

VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})

# expected phone -> phones learners often say instead (substitutions anywhere in the word)
SUBSTITUTIONS: dict[str, tuple[str, ...]] = {
    "TH": ("S", "T", "F"),
    "DH": ("D", "Z"),
    "V": ("B", "W"),
    "W": ("V",),
    "R": ("L",),
    "L": ("R",),
    "IH": ("IY",),
    "IY": ("IH",),
    "AE": ("EH",),
}
EPENTHETIC_VOWEL = "AH"


@dataclass(frozen=True)
class PhoneEdit:
    """One changed position: expected phone (None for an inserted vowel) -> produced phone (None if dropped)."""

    index: int  # position in the canonical pronunciation (for an insertion: the phone it comes before)
    expected: str | None
    produced: str | None


@dataclass(frozen=True)
class LearnerVariant:
    phones: tuple[str, ...]
    rule: str  # "TH>S", "final-deletion", "epenthesis"
    edit: PhoneEdit

    @property
    def phone_class(self) -> str:
        """The calibration class: the substitution rule, or the kind of edit."""
        return self.rule


def learner_variants(canonical: tuple[str, ...] | list[str]) -> list[LearnerVariant]:
    """Every single-edit learner variant of a canonical pronunciation, in a stable order, without duplicates."""
    phones = tuple(canonical)
    variants: list[LearnerVariant] = []
    seen = {phones}

    def add(new_phones: tuple[str, ...], rule: str, edit: PhoneEdit) -> None:
        if new_phones and new_phones not in seen:
            seen.add(new_phones)
            variants.append(LearnerVariant(new_phones, rule, edit))

    for index, phone in enumerate(phones):
        for produced in SUBSTITUTIONS.get(phone, ()):
            add(
                phones[:index] + (produced,) + phones[index + 1 :],
                f"{phone}>{produced}",
                PhoneEdit(index, phone, produced),
            )
    last = len(phones) - 1
    if len(phones) >= 3 and phones[last] not in VOWELS and phones[last - 1] not in VOWELS | {"R", "L"} | {phones[last]}:
        # dropping the last consonant of a final cluster ("desk" -> "des"), the commonest coda simplification
        add(phones[:last], "final-deletion", PhoneEdit(last, phones[last], None))
    elif len(phones) >= 3 and phones[last] not in VOWELS and phones[last - 1] in VOWELS:
        add(phones[:last], "final-deletion", PhoneEdit(last, phones[last], None))
    if len(phones) >= 2 and phones[last] not in VOWELS and phones[last] not in {"R", "L", "M", "N", "NG"}:
        add(phones + (EPENTHETIC_VOWEL,), "epenthesis", PhoneEdit(len(phones), None, EPENTHETIC_VOWEL))
    if len(phones) >= 3 and phones[0] == "S" and phones[1] not in VOWELS:
        add((EPENTHETIC_VOWEL,) + phones, "epenthesis", PhoneEdit(0, None, EPENTHETIC_VOWEL))
    return variants


def rule_family(rule: str) -> str:
    """Coarse class for calibration fallbacks: "TH>S" -> "TH", "final-deletion" -> "final-deletion"."""
    return rule.split(">", 1)[0]
