from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutor.scenarios import KINDS, make_scenarios


class Command(BaseCommand):
    help = "Build duplex-bench scenarios (learner.wav + scenario.json) from the learner-speech corpus."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path)
        parser.add_argument("--set", dest="corpus_set", choices=["dev", "eval"], default="dev")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--count", type=int, default=12)
        parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to cycle through")

    def handle(self, *args, out: Path, corpus_set: str, seed: int, count: int, kinds: str, **options):
        if not 1 <= count <= 500:
            raise CommandError("--count must be between 1 and 500")
        chosen = tuple(kind.strip() for kind in kinds.split(",") if kind.strip())
        unknown = sorted(set(chosen) - set(KINDS))
        if unknown or not chosen:
            raise CommandError(f"unknown kinds {unknown}; choose from {', '.join(KINDS)}")
        corpus_dir = Path(settings.VAR_DIR) / "corpus" / f"duplex-{corpus_set}-{seed}"
        folders = make_scenarios(corpus_set, seed, count, out, corpus_dir, chosen)
        self.stdout.write(f"{len(folders)} scenarios in {out}")
