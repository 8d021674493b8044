import numpy as np

from speech.audio import read_wav
from tests.conftest import FIXTURES
from tutor.engine.echo import EchoGate


def clips():
    tutor = read_wav(FIXTURES / "learner_fox.wav").to(16000).samples[:32000]
    learner = read_wav(FIXTURES / "answer_blue.wav").to(16000).samples
    learner = np.concatenate([learner, learner])[:6400]
    return tutor, learner


def gate_with(tutor: np.ndarray, mic: np.ndarray) -> EchoGate:
    gate = EchoGate()
    for start in range(0, len(tutor), 640):
        gate.add_reference(tutor[start : start + 640])
    gate.add_microphone(mic)
    return gate


def test_a_delayed_quieter_copy_of_the_tutor_is_echo():
    tutor, _ = clips()
    rng = np.random.default_rng(0)
    echo = 0.25 * tutor[-6400 - 960 : -960] + rng.normal(0, 0.002, 6400)
    assert gate_with(tutor, echo.astype(np.float32)).is_echo()


def test_the_learner_talking_over_the_echo_is_not_echo():
    tutor, learner = clips()
    mixed = learner + 0.25 * tutor[-6400 - 960 : -960]
    gate = gate_with(tutor, mixed.astype(np.float32))
    assert not gate.is_echo(), gate.last_correlation
    assert not gate_with(tutor, learner).is_echo()


def test_nothing_played_means_no_echo():
    _, learner = clips()
    assert gate_with(np.zeros(0, np.float32), learner).is_echo() is False


def test_too_little_microphone_audio_cannot_be_judged():
    tutor, learner = clips()
    assert gate_with(tutor, learner[:1000]).is_echo() is None
