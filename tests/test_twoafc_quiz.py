"""The quiz: clicking records the choice and confidence, updates the score, and ends with the table."""
import pytest
import torch

from vizlab import twoafc
from vizlab.widgets import QuizExplorer


def _trials(n=6):
    g = torch.Generator().manual_seed(0)
    images = torch.rand(2 * n + 4, 3, 16, 16, generator=g)
    natural = twoafc.References("natural", images[-4:-2], images[-2:], torch.ones(2), torch.zeros(2))
    none = twoafc.References("none", images[:0], images[:0], torch.zeros(0), torch.zeros(0))
    return [twoafc.Trial("conv2", 1, natural if i % 2 else none, images[2 * i:2 * i + 2], torch.tensor([1.0, 0.0]),
                         (2 * i, 2 * i + 1), i % 2, (100.0, 0.0)) for i in range(n)]


def test_clicks_record_choices_and_update_the_score():
    quiz = QuizExplorer(_trials(), machine={"natural": 0.75, "none": 0.5}, seed=1)
    assert quiz.score.value == "Score: 0 of 0 right"
    expected = []
    for step, trial in enumerate(quiz.trials):
        assert trial.condition in quiz.header.value and f"Trial {step + 1} of 6" in quiz.header.value
        assert quiz.query_views[0].value and quiz.query_views[1].value   # the queries are shown as PNGs
        assert (len(quiz.references.children) == 2) == (trial.condition == "natural")
        side = step % 2                                                      # some right, some wrong
        quiz.confidence.value = 1 + step % 3
        quiz.buttons[side].click()
        expected.append(side == trial.answer)
        last = quiz.answers[-1]
        assert (last.choice, last.confidence, last.condition, last.correct) == (side, 1 + step % 3, trial.condition,
                                                                                 side == trial.answer)
        assert quiz.score.value == f"Score: {sum(expected)} of {step + 1} right"
    assert quiz.done and all(b.disabled for b in quiz.buttons)
    by = {}
    for a in quiz.answers:
        by.setdefault(a.condition, []).append(a.correct)
    assert quiz.accuracy() == {c: sum(v) / len(v) for c, v in by.items()}
    assert "92 ± 2 %" in quiz.results.value and "75 %" in quiz.results.value     # published and machine figures
    quiz.buttons[0].click()                                                    # after the end: nothing more
    assert len(quiz.answers) == 6


def test_the_order_is_seeded_and_an_empty_quiz_is_refused():
    trials = _trials()
    assert [t.query_indices for t in QuizExplorer(trials, seed=3).trials] == \
        [t.query_indices for t in QuizExplorer(trials, seed=3).trials]
    assert sorted(t.query_indices for t in QuizExplorer(trials, seed=3).trials) == sorted(t.query_indices for t in trials)
    with pytest.raises(ValueError, match="at least one trial"):
        QuizExplorer([])
