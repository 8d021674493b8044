"""Train the interaction model from engine tick traces of dev scenarios.

    python -m tutor.engine.train_interaction RECORD_DIR [RECORD_DIR ...] [--out tutor/engine/data/interaction.pt]

A record folder is what `manage.py duplexbench SCENARIOS --trace --record DIR`
writes: one JSON per run with the scenario's annotations and every event,
including the engine's per-tick state ("tick" events). Each tick is labelled
with the action the annotations call for (`target_action`); where they are
silent (corrections, feedback, nudges) the hand-written expectation policy is
the teacher. Scenarios are split 80/20 for a validation report, then the model
is trained on all of them. Deterministic: fixed seeds, full-batch training.
Refuses records made on eval scenarios.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from .interaction import ACTIONS, FEATURES, WEIGHTS, allowed_actions, state_features
from .policy import Action, ExpectationPolicy, TickState

HIDDEN = 32
EPOCHS = 400
TORCH_THREADS = 1  # the network is tiny; more threads only contend
RESUME_WINDOW_S = 3.0  # after a learner's backchannel that stopped the tutor, it should go on within this long
BARGE_IN_WINDOW_S = 1.0  # after an annotated barge-in the tutor should have yielded within this long
WAITED_LONGER_S = (0.2, 0.5, 1.0, 2.0, 4.0)  # extra silence added to copies of each turn-end tick
PAUSE_WEIGHT = 16.0  # weight of a silent tick inside a pause: cutting the learner off is worse than a late answer
TEACHER = ExpectationPolicy()
_STATE_FIELDS = {field.name for field in fields(TickState)}


@dataclass(frozen=True)
class Example:
    scenario: str
    state: TickState
    target: Action
    weight: float = 1.0


def in_pause(state: TickState, annotations: list[dict]) -> bool:
    return any(a["type"] == "pause" and a["start"] <= state.now <= a["end"] for a in annotations)


def target_action(state: TickState, annotations: list[dict]) -> Action:
    """What the tutor should do at this tick, from the scenario's annotations (times on the learner track)."""
    wanted = _annotated_action(state, annotations)
    if allowed_actions(state)[ACTIONS.index(wanted)]:
        return wanted
    return Action.KEEP_SPEAKING if state.tutor_speaking else Action.SILENT  # a rule forbids it: wait


def _annotated_action(state: TickState, annotations: list[dict]) -> Action:
    now = state.now
    if state.tutor_speaking:
        barging = any(a["type"] == "barge_in" and a["t"] <= now <= a["t"] + BARGE_IN_WINDOW_S for a in annotations)
        return Action.YIELD if barging and state.learner_speaking else Action.KEEP_SPEAKING
    after_backchannel = any(
        a["type"] == "learner_backchannel" and a["end"] <= now <= a["end"] + RESUME_WINDOW_S for a in annotations
    )
    if state.can_resume and after_backchannel and not state.learner_speaking:
        return Action.KEEP_SPEAKING  # the tutor stopped for a "mm-hm": it goes on with what it was saying
    teacher = TEACHER.decide(state)
    if teacher in (Action.CORRECT_NOW, Action.CORRECT_AT_PAUSE, Action.FEEDBACK_AT_PAUSE):
        return teacher
    if state.time_limit_s is not None and state.item_elapsed_s >= state.time_limit_s:
        return Action.TAKE_TURN
    if state.learner_speaking:
        return Action.SILENT
    if any(a["type"] == "turn_end" and a["t"] <= now for a in annotations):
        return Action.TAKE_TURN
    if in_pause(state, annotations):
        return Action.BACKCHANNEL if teacher is Action.BACKCHANNEL else Action.SILENT
    if teacher is Action.TAKE_TURN:  # the learner has not finished: the annotations say so
        return Action.SILENT
    return teacher


def load_examples(record_dirs: list[Path]) -> list[Example]:
    examples = []
    for folder in record_dirs:
        records = sorted(folder.glob("*.json"))
        if not records:
            raise FileNotFoundError(f"{folder}: no duplexbench records (run duplexbench --trace --record {folder})")
        for path in records:
            record = json.loads(path.read_text())
            if record["scenario"].startswith("eval"):
                raise ValueError(f"{path}: an eval scenario; the model is trained on dev scenarios only")
            annotations = record["annotations"]
            for event in _with_turn_speech([event for event in record["events"] if event["type"] == "tick"]):
                state = TickState(**{key: value for key, value in event.items() if key in _STATE_FIELDS})
                target = target_action(state, annotations)
                weight = PAUSE_WEIGHT if target is Action.SILENT and in_pause(state, annotations) else 1.0
                examples.append(Example(record["scenario"], state, target, weight))
                examples += [Example(record["scenario"], later, target) for later in _waited_longer(state, target)]
    return examples


def _with_turn_speech(ticks: list[dict]) -> list[dict]:
    """Fill in `turn_speech_s` and `tutor_interrupted` for traces recorded before the engine reported them,
    from the tick sequence, the way the engine counts them."""
    if all(key in tick for tick in ticks for key in ("turn_speech_s", "tutor_interrupted", "can_resume")):
        return ticks
    filled, total, interrupted, resumable, previous = [], 0.0, False, False, None
    for tick in ticks:
        if previous is None or previous["item"] != tick["item"]:
            total, interrupted, resumable, previous = 0.0, False, False, None
        if tick["learner_speaking"] and not tick["tutor_speaking"] and previous is not None:
            total += tick["now"] - previous["now"]
        talked_over = previous is not None and previous["learner_speaking"] and previous["tutor_speaking"]
        cut_off = talked_over and not tick["tutor_speaking"]
        interrupted = interrupted or cut_off
        resumable = cut_off or (resumable and not tick["tutor_speaking"])
        filled.append(
            {**tick, "turn_speech_s": round(total, 3), "tutor_interrupted": interrupted, "can_resume": resumable}
        )
        previous = tick
    return filled


def _waited_longer(state: TickState, target: Action) -> list[TickState]:
    """After the learner's turn is over it stays over: the same state with more silence is a turn end too.

    The traces stop where the recording policy took the turn, so without these the model would never see
    a finished turn with a longer silence, and could learn that long silences mean "wait".
    """
    if target is not Action.TAKE_TURN or state.learner_speaking or state.time_limit_s is not None:
        return []
    return [
        replace(state, silence_s=state.silence_s + extra, decoder_silence_s=state.decoder_silence_s + extra)
        for extra in WAITED_LONGER_S
    ]


def _arrays(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    features = np.stack([state_features(example.state) for example in examples])
    targets = np.asarray([ACTIONS.index(example.target) for example in examples])
    masks = np.stack([allowed_actions(example.state) for example in examples])
    return features, targets, masks


def train(examples: list[Example], seed: int = 0):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(TORCH_THREADS)
    features, targets, masks = _arrays(examples)
    mean = features.mean(axis=0)
    std = np.maximum(features.std(axis=0), 1e-3)
    model = nn.Module()
    model.register_buffer("mean", torch.from_numpy(mean))
    model.register_buffer("std", torch.from_numpy(std))
    model.layers = nn.Sequential(
        nn.Linear(len(FEATURES), HIDDEN),
        nn.Tanh(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.Tanh(),
        nn.Linear(HIDDEN, len(ACTIONS)),
    )
    # rare actions (a yield, a turn taken) matter as much as the many silent ticks
    counts = np.bincount(targets, minlength=len(ACTIONS)).astype(np.float32)
    class_weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(ACTIONS), 0.0) ** 0.5
    loss_fn = nn.CrossEntropyLoss(weight=torch.from_numpy(class_weights.astype(np.float32)), reduction="none")
    example_weights = torch.tensor([example.weight for example in examples], dtype=torch.float32)
    x = (torch.from_numpy(features) - model.mean) / model.std
    y = torch.from_numpy(targets)
    mask = torch.from_numpy(masks)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    for _epoch in range(EPOCHS):
        optimiser.zero_grad()
        logits = model.layers(x).masked_fill(~mask, -1e9)
        loss = (loss_fn(logits, y) * example_weights).sum() / example_weights.sum()
        loss.backward()
        optimiser.step()
    return model


def evaluate(model, examples: list[Example]) -> dict:
    import torch

    features, targets, masks = _arrays(examples)
    with torch.no_grad():
        x = (torch.from_numpy(features) - model.mean) / model.std
        predicted = model.layers(x).masked_fill(~torch.from_numpy(masks), -1e9).argmax(dim=1).numpy()
    per_action = {}
    for index, action in enumerate(ACTIONS):
        wanted = targets == index
        chosen = predicted == index
        if wanted.any() or chosen.any():
            per_action[action.value] = {
                "ticks": int(wanted.sum()),
                "recall": round(float((chosen & wanted).sum() / max(wanted.sum(), 1)), 3),
                "precision": round(float((chosen & wanted).sum() / max(chosen.sum(), 1)), 3),
            }
    accuracy = round(float((predicted == targets).mean()), 4)
    return {"ticks": len(examples), "accuracy": accuracy, "per_action": per_action}


def save(model, path: Path, examples: list[Example]) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": {key: value.detach().clone() for key, value in model.state_dict().items()},
            "features": list(FEATURES),
            "actions": [action.value for action in ACTIONS],
            "scenarios": sorted({example.scenario for example in examples}),
            "ticks": len(examples),
        },
        path,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("record_dirs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        examples = load_examples(args.record_dirs)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    scenarios = sorted({example.scenario for example in examples})
    random.Random(args.seed).shuffle(scenarios)
    held_out = set(scenarios[: max(1, len(scenarios) // 5)])
    fit = [example for example in examples if example.scenario not in held_out]
    check = [example for example in examples if example.scenario in held_out]
    validation = evaluate(train(fit, args.seed), check) if fit and check else None
    model = train(examples, args.seed)
    save(model, args.out, examples)
    report = {
        "scenarios": len(scenarios),
        "ticks": len(examples),
        "targets": dict(Counter(example.target.value for example in examples)),
        "validation_on_held_out_scenarios": validation,
        "training_fit": evaluate(model, examples),
        "weights": str(args.out),
        "bytes": args.out.stat().st_size,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
