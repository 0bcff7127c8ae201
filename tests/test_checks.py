"""course_utils.checks: feedback for right, wrong, missing and malformed answers; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils import checks
from course_utils.exercises import nb01  # noqa: F401  (registers notebook 01's exercises)


def setup_module():
    checks.register("t.num", "What is 6 x 7?", checks.equals(42), "multiply")
    checks.register("t.float", "pi to 3 places?", checks.close_to(3.14159, rel=1e-3), "3.14...")
    checks.register("t.word", "small or large?", checks.one_of("small"), "think")


def test_right_answer_is_truthy_and_says_so():
    fb = checks.check("t.num", 42)
    assert fb and fb.status == "correct" and "Correct" in repr(fb) and "Correct" in fb._repr_html_()


def test_wrong_answer_gives_the_hint():
    fb = checks.check("t.num", 41)
    assert not fb and fb.status == "wrong" and "multiply" in repr(fb)


def test_unanswered_placeholder_is_not_a_failure_of_the_run():
    for placeholder in (..., None):
        fb = checks.check("t.num", placeholder)
        assert not fb and fb.status == "unanswered" and "What is 6 x 7?" in repr(fb)


def test_a_function_still_to_be_written_is_unanswered_and_a_written_one_is_checked():
    def classify(sentences): ...

    def written(sentences):
        return ["positive" for _ in sentences]

    assert checks.check("t.num", classify).status == "unanswered"
    assert checks.check("t.num", lambda: None).status == "unanswered"
    assert checks.check("t.num", written).status == "wrong"  # checked, and not 42


def test_answer_of_the_wrong_kind_is_feedback_not_an_exception():
    fb = checks.check("t.float", "three")
    assert fb.status == "wrong" and "could not be checked" in repr(fb)
    assert checks.check("t.float", 3.1416)


def test_text_answers_ignore_case_and_spaces():
    assert checks.check("t.word", "  Small ")
    assert not checks.check("t.word", 5)


def test_unknown_exercise_key_lists_the_known_ones():
    fb = checks.check("nope", 1)
    assert fb.status == "error" and "t.num" in repr(fb)


def test_notebook_01_checkers_accept_the_reference_answers_and_reject_others():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    small = TensorDataset(torch.zeros(150, 2), torch.zeros(150))
    assert checks.check("01.iterations", 20) and not checks.check("01.iterations", 19)
    assert checks.check("01.total_steps", 155) and not checks.check("01.total_steps", 160)
    assert checks.check("01.loader", DataLoader(small, batch_size=16, shuffle=True, drop_last=True))
    assert not checks.check("01.loader", DataLoader(small, batch_size=16, shuffle=True))
    assert checks.check("01.noisier", "small") and not checks.check("01.noisier", "large")


def test_notebook_01_training_loop_exercise_checks_what_the_loop_does():
    import torch

    def reference(model, loader, optimizer, loss_fn):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

    def model_zero_grad(model, loader, optimizer, loss_fn):  # resetting through the model is fine too
        for xb, yb in loader:
            model.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    def no_zero_grad(model, loader, optimizer, loss_fn):  # gradients pile up from batch to batch
        for xb, yb in loader:
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    def no_step(model, loader, optimizer, loss_fn):  # gradients computed, never applied
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()

    def one_batch(model, loader, optimizer, loss_fn):  # not an epoch
        xb, yb = next(iter(loader))
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()

    def crashes(model, loader, optimizer, loss_fn):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    state = torch.random.get_rng_state()
    assert checks.check("01.train_epoch", reference).status == "correct"
    assert torch.equal(torch.random.get_rng_state(), state)  # the check leaves the learner's seed alone
    assert checks.check("01.train_epoch", model_zero_grad).status == "correct"
    for wrong in (no_zero_grad, no_step, one_batch, crashes):
        fb = checks.check("01.train_epoch", wrong)
        assert fb.status == "wrong" and "four steps" in repr(fb), wrong.__name__


def test_notebook_03_discriminative_rates_exercise_inspects_the_optimizer_groups():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from course_utils.exercises import nb03  # noqa: F401

    config = BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16, num_labels=2
    )
    model = BertForSequenceClassification(config)  # tiny and random: only its structure matters here
    model.bert.embeddings.word_embeddings.requires_grad_(False)
    base = model.bert
    tiers = [
        [*model.classifier.parameters(), *base.pooler.parameters()],
        *[list(layer.parameters()) for layer in reversed(base.encoder.layer)],
        [p for p in base.embeddings.parameters() if p.requires_grad],
    ]

    def optimizer(rate):
        return torch.optim.AdamW([{"params": params, "lr": rate(depth)} for depth, params in enumerate(tiers)])

    right = optimizer(lambda depth: 2e-4 * 0.9**depth)
    assert checks.check("03.discriminative", (right, model)).status == "correct"
    for wrong in (
        optimizer(lambda depth: 2e-4),  # one rate for all
        optimizer(lambda depth: 2e-4 * 0.9 ** (len(tiers) - 1 - depth)),  # bottom learns fastest
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4),
        torch.optim.AdamW(
            [{"params": params, "lr": 2e-4 * 0.9**d} for d, params in enumerate(tiers[:-1])]
        ),  # embeddings left out
        "AdamW",
    ):
        assert checks.check("03.discriminative", (wrong, model)).status == "wrong"
    assert checks.check("03.discriminative", (..., model)).status == "unanswered"


def test_notebook_02_checkers_accept_the_reference_answers_and_reject_others():
    from torch import nn

    from course_utils.exercises import nb02  # noqa: F401

    def model_with_head():
        model = nn.Sequential()
        model.body = nn.Linear(4, 4)
        model.fc = nn.Linear(4, 2)
        return model

    assert checks.check("02.head_params", 10245) and not checks.check("02.head_params", 4098)
    assert not checks.check("02.head_params", 10240)
    frozen = model_with_head()
    frozen.body.requires_grad_(False)
    assert checks.check("02.freeze", frozen)
    assert not checks.check("02.freeze", model_with_head())  # nothing frozen
    everything_frozen = model_with_head().requires_grad_(False)
    assert not checks.check("02.freeze", everything_frozen)  # head frozen too
    assert checks.check("02.bn_mode", "eval") and checks.check("02.bn_mode", " Eval ")
    assert not checks.check("02.bn_mode", "train")

    # A head that separates the classes passes; an untrained one, a non-model and a placeholder do not.
    import torch

    features = torch.cat([torch.full((50, 4), -1.0), torch.full((50, 4), 1.0)])
    labels = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])
    good = nn.Linear(4, 2)
    with torch.no_grad():
        good.weight.copy_(torch.tensor([[-1.0] * 4, [1.0] * 4]))
        good.bias.zero_()
    constant = nn.Linear(4, 2)
    with torch.no_grad():
        constant.weight.zero_()
        constant.bias.copy_(torch.tensor([1.0, 0.0]))  # always class 0: 50%
    assert checks.check("02.trained_head", (good, features, labels)).status == "correct"
    assert checks.check("02.trained_head", (constant, features, labels)).status == "wrong"
    assert checks.check("02.trained_head", ("a head", features, labels)).status == "wrong"
    assert checks.check("02.trained_head", (..., features, labels)).status == "unanswered"


def test_a_claim_that_holds_is_silent_and_one_that_fails_names_itself(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_TIMING_ONLY", raising=False)
    checks.claim(True, "fine-tuning beats scratch")
    assert capsys.readouterr().out == ""
    with pytest.raises(AssertionError, match="fine-tuning beats scratch"):
        checks.claim(False, "fine-tuning beats scratch")


def test_timing_only_runs_report_claims_as_not_checked(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_TIMING_ONLY", "1")
    assert checks.timing_only()
    checks.claim(False, "feature extraction reaches 90%")
    assert "claim not checked: feature extraction reaches 90%" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_TIMING_ONLY", "0")
    assert not checks.timing_only()


def test_timing_claims_are_strict_in_ci_and_a_note_elsewhere(monkeypatch, capsys):
    from course_utils.checks import timing_claim

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    timing_claim(False, "small batches take longer per epoch")
    assert "Note: this run's timings do not show it: small batches take longer per epoch" in capsys.readouterr().out
    timing_claim(True, "anything")
    assert capsys.readouterr().out == ""
    for env, value in (("CI", "true"), ("COURSE_STRICT", "1")):
        monkeypatch.setenv(env, value)
        with pytest.raises(AssertionError, match="small batches take longer"):
            timing_claim(False, "small batches take longer per epoch")
        monkeypatch.delenv(env)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("COURSE_STRICT", "0")  # the busy-machine benchmark turns it off
    timing_claim(False, "anything")


def test_notebook_04_pairs_exercise_checks_the_pairs_the_function_builds():
    import itertools

    from course_utils.exercises import nb04  # noqa: F401

    def reference(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.combinations(rows, 2)]

    def with_self_pairs(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.product(rows, repeat=2)]

    def both_orders(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.permutations(rows, 2)]

    def targets_flipped(df):
        return [(a, b, 1.0 - t) for a, b, t in reference(df)]

    def same_class_only(df):
        return [(a, b, t) for a, b, t in reference(df) if t == 1.0]

    def two_classes_assumed(df):  # "different class" decided by label parity: wrong for a third class
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label % 2 == b.label % 2)) for a, b in itertools.combinations(rows, 2)]

    assert checks.check("04.make_pairs", reference).status == "correct"
    for wrong in (with_self_pairs, both_orders, targets_flipped, same_class_only, two_classes_assumed, len):
        assert checks.check("04.make_pairs", wrong).status == "wrong", wrong.__name__

    def make_pairs(df): ...

    assert checks.check("04.make_pairs", make_pairs).status == "unanswered"


# One right answer and some wrong ones for every exercise whose checker compares a value; the
# exercises that check behaviour have their own tests above. The last test keeps this complete.
VALUE_ANSWERS = {
    "03.head_params": (1155, [1152, 770, 1158, "1155 parameters"]),
    "03.steps": (141, [140, 126, 47, 144]),
    "03.pad_mask": (0, [1, "1", "padding"]),
    "07.vnni": ("VNNI", ["AVX2", "AMX", "avx512", "bf16"]),
    "04.pairs": (496, [480, 992, 256]),
    "04.same_pairs": (240, [256, 120, 496]),
    "04.chance": (428 / 872, [0.5, 444 / 872, 428]),
    "05.gain": (0.71 - 0.78, [0.07, 0.78 - 0.71 + 1, -0.7]),
    "05.sign": ("positive", ["negative", "zero", "-"]),
    "05.lower_lr": ("hurt", ["help", "helped", "no change"]),
    "06.proxy_a": (1.6, [0.8, 0.9, 1.8, -1.6]),
}


def test_every_value_exercise_accepts_its_answer_and_rejects_near_misses():
    from course_utils.exercises import nb03, nb04, nb05, nb06, nb07  # noqa: F401

    for key, (right, wrongs) in VALUE_ANSWERS.items():
        assert checks.check(key, right).status == "correct", key
        for wrong in wrongs:
            assert checks.check(key, wrong).status == "wrong", (key, wrong)
        assert checks.check(key, ...).status == "unanswered", key


def test_notebook_03_classify_exercise_runs_the_learners_function_on_clear_sentences():
    from course_utils.exercises import nb03

    def reference(sentences):
        return [nb03._CLEAR[s] for s in sentences]

    def always_positive(sentences):
        return ["positive"] * len(sentences)

    def swapped(sentences):
        return ["negative" if label == "positive" else "positive" for label in reference(sentences)]

    def one_answer(sentences):
        return "positive"

    assert checks.check("03.classify", reference).status == "correct"
    for wrong in (always_positive, swapped, one_answer, len):
        assert checks.check("03.classify", wrong).status == "wrong", wrong.__name__


def test_every_registered_exercise_is_tested_with_wrong_answers_here():
    import importlib
    from pathlib import Path

    for module in sorted((Path(__file__).parents[1] / "course_utils" / "exercises").glob("nb*.py")):
        importlib.import_module(f"course_utils.exercises.{module.stem}")
    this_file = Path(__file__).read_text()
    untested = [key for key in checks._EXERCISES if key.startswith("0") and f'"{key}"' not in this_file]
    assert not untested, f"exercises with no right/wrong-answer test in tests/test_checks.py: {untested}"


def test_a_wrong_answer_shows_the_first_hint_only_and_hint_climbs_the_ladder():
    checks.register("t.ladder", "3 + 4?", checks.equals(7), ("the idea", "the tool", "the line"))
    fb = checks.check("t.ladder", 6)
    assert fb.status == "wrong" and "the idea" in repr(fb) and "the tool" not in repr(fb)
    assert "hint('t.ladder')" in repr(fb)  # says where more help is
    rungs = [repr(checks.hint("t.ladder")) for _ in range(4)]
    assert all(word in rung for word, rung in zip(("the idea", "the tool", "the line", "the line"), rungs, strict=True))
    assert "last hint" in rungs[2] and "the tool" not in rungs[0]
    assert checks.check("t.ladder", 6).status == "wrong" and "the tool" not in repr(checks.check("t.ladder", 6))
    assert checks.hint("nope").status == "error"


def test_every_exercise_has_a_ladder_and_no_first_hint_gives_the_answer_away():
    import importlib

    for module in sorted((Path(__file__).parents[1] / "course_utils" / "exercises").glob("nb*.py")):
        importlib.import_module(f"course_utils.exercises.{module.stem}")
    course = {key: ex for key, ex in checks._EXERCISES.items() if key.startswith("0")}
    assert all(len(ex.hints) >= 2 for ex in course.values()), [k for k, ex in course.items() if len(ex.hints) < 2]
    answers = {**{k: right for k, (right, _) in VALUE_ANSWERS.items()}, "01.iterations": 20, "01.total_steps": 155}
    answers |= {"01.noisier": "small", "02.head_params": 10245, "02.bn_mode": "eval"}
    for key, right in answers.items():
        shown = str(round(right, 3)) if isinstance(right, float) else str(right)
        first = course[key].hints[0]
        assert shown not in first.replace(",", ""), (key, first)  # "4,098" counts as a leak too


def test_a_prediction_is_recorded_then_compared_and_a_missing_one_says_so():
    choices = ("beats", "ties", "loses")
    assert checks.predict("t.pred", ..., choices).status == "unanswered"
    assert checks.reveal("t.pred", "beats").status == "unanswered"  # none recorded: says so, no verdict
    bad = checks.predict("t.pred", "wins", choices)
    assert bad.status == "error" and "'beats'" in repr(bad)
    assert checks.predict("t.pred", " Beats ", choices).status == "prediction"
    held = checks.reveal("t.pred", "beats", "+0.02")
    assert held.status == "correct" and "+0.02" in repr(held)
    checks.predict("t.pred", "loses", choices)
    missed = checks.reveal("t.pred", "beats")
    assert missed.status == "wrong" and "'loses'" in repr(missed) and "'beats'" in repr(missed)
    checks.predict("t.pred", ..., choices)  # taking a guess back leaves nothing recorded
    assert checks.reveal("t.pred", "beats").status == "unanswered"


def test_notebook_05_frozen_gain_is_checked_against_section_2s_table():
    import pandas as pd

    from course_utils.exercises import nb05  # noqa: F401

    table = {("digits, other images", 0): 0.178, ("pixel-shuffled digits", 0): -0.226}
    table[("digits, other images", 1)] = 0.110
    runs = pd.DataFrame([{"source": s, "seed": seed, "gain, frozen": g} for (s, seed), g in table.items()])
    bodies = {key: key for key in table}  # the learner's function receives the body: here, its key

    def reference(body, seed):
        return table[body] + 0.01  # a probe with other settings lands close, not exactly

    def raw_accuracy(body, seed):
        return table[body] + 0.764  # forgot to subtract the scratch score

    def seed_zero_only(body, seed):  # always scores seed 0's labels
        return table[body[0], 0]

    def broken(body, seed):
        raise ValueError("shapes do not match")

    assert checks.check("05.frozen_gain", (reference, bodies, runs)).status == "correct"
    for wrong in (raw_accuracy, lambda body, seed: -table[body], broken, seed_zero_only):
        assert checks.check("05.frozen_gain", (wrong, bodies, runs)).status == "wrong"


def test_notebook_05_own_source_must_be_new_and_well_formed():
    import numpy as np

    rng = np.random.default_rng(0)
    images, labels = rng.random((200, 64)), rng.integers(0, 10, 200)
    known = {"digits": (images, labels)}
    shifted = np.roll(images.reshape(-1, 8, 8), 1, axis=2).reshape(-1, 64)
    assert checks.check("05.own_source", ((shifted, labels), known)).status == "correct"
    assert checks.check("05.own_source", ((images, labels % 2), known)).status == "correct"  # a new question
    assert checks.check("05.own_source", ((images, labels < 5), known)).status == "correct"  # yes/no labels
    wrongs = [
        (images.copy(), labels.copy()),  # one of the notebook's sources again
        (images.reshape(-1, 8, 8), labels),  # not 64 values per row
        (shifted, labels.astype(float)),  # labels must be class numbers
        (shifted, labels - 1),  # a negative class number
        (shifted * 16, labels),  # pixels outside [0, 1]
        (shifted[:50], labels[:50]),  # too few images
        (shifted, np.zeros(200, int)),  # one class: nothing to learn
        "shifted digits",
    ]
    for wrong in wrongs:
        assert checks.check("05.own_source", (wrong, known)).status == "wrong"
    assert checks.check("05.own_source", (..., known)).status == "unanswered"


def test_notebook_05_rehearsal_runs_the_learners_choice_on_three_seeds():
    def forgetting(seed, rehearse, store_size=80):  # a stand-in: more stored examples, less forgetting
        return {"source acc after": min(0.95, 0.70 + 0.012 * store_size - 0.01 * seed)}

    assert checks.check("05.rehearsal", (20, forgetting)).status == "correct"
    for wrong in (10, 30, 80, 0, "20", 20.0, True):  # too few, over the cap of 25, or not a count
        assert checks.check("05.rehearsal", (wrong, forgetting)).status == "wrong", wrong


def test_notebook_04_descriptions_must_beat_the_notebooks_on_the_pool():
    from course_utils.exercises import nb04  # noqa: F401

    theirs = {"negative": ["a negative movie review"], "positive": ["a positive movie review"]}
    scores = {"a bad, boring film": 0.732, "a negative movie review": 0.700, "boring": 0.639}

    def pool_zero_shot(descriptions):  # a stand-in scorer: the score of the negative phrase
        negative = descriptions["negative"]
        return scores[negative if isinstance(negative, str) else negative[0]]

    better = {"negative": ["a bad, boring film"], "positive": ["a good, enjoyable film"]}
    assert checks.check("04.descriptions", (better, theirs, pool_zero_shot)).status == "correct"
    plain_strings = {"negative": "a bad, boring film", "positive": "fun"}  # one phrase each, not in a list
    assert checks.check("04.descriptions", (plain_strings, theirs, pool_zero_shot))
    wrongs = [
        theirs,  # the notebook's own: no better
        {"negative": ["boring"], "positive": ["great"]},  # worse
        {"negative": ["a bad, boring film"]},  # a label missing
        {"negative": [], "positive": ["good"]},  # no phrase
        {"negative": ["a bad, boring film"], "positive": [""]},  # an empty phrase
        {"bad": ["a bad, boring film"], "good": ["good"]},  # not SST-2's label names
        ["a bad, boring film", "a good film"],
    ]
    for wrong in wrongs:
        assert checks.check("04.descriptions", (wrong, theirs, pool_zero_shot)).status == "wrong", wrong


def test_notebook_04_prototypes_are_class_means_in_label_order():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    sentences = [f"s{i}" for i in range(200)]
    pool_emb = {s: rng.normal(size=8) for s in sentences}
    shots = {
        key: pd.DataFrame({"sentence": sentences[: 2 * key[0]], "label": [0, 1] * key[0]})
        for key in ((8, 0), (16, 1), (64, 2))
    }

    def reference(df):
        return np.stack([np.mean([pool_emb[s] for s in df.sentence[df.label == c]], axis=0) for c in (0, 1)])

    def swapped(df):
        return reference(df)[::-1]

    def all_rows_mean(df):
        return np.stack([np.mean([pool_emb[s] for s in df.sentence], axis=0)] * 2)

    def first_example(df):  # one-shot's nearest example, not the mean
        return np.stack([pool_emb[df.sentence[df.label == c].iloc[0]] for c in (0, 1)])

    assert checks.check("04.prototypes", (reference, pool_emb, shots)).status == "correct"
    assert checks.check("04.prototypes", (lambda df: 3 * reference(df), pool_emb, shots))  # rescaled: same classes
    for wrong in (swapped, all_rows_mean, first_example, lambda df: reference(df)[:1], lambda df: "prototypes"):
        assert checks.check("04.prototypes", (wrong, pool_emb, shots)).status == "wrong"


def test_notebook_01_step_budget_trains_the_learners_choice():

    assert checks.check("01.step_budget", (256, 1e-2)).status == "correct"
    for wrong in ((16, 1e-3), (64, 1e-2), (256, 0.5), (0, 1e-2), (256, 0), (256.0, 1e-2), ("256", 1e-2), (True, 0.01)):
        assert checks.check("01.step_budget", wrong).status == "wrong", wrong
    assert nb01.step_budget_accuracy(256, 1e-2, 0) == nb01.step_budget_accuracy(256, 1e-2, 0)  # seeded


def test_notebook_02_new_head_is_checked_on_both_architectures():
    from torch import nn

    from course_utils.exercises import nb02  # noqa: F401

    def reference(model, head_attr, num_classes):
        setattr(model, head_attr, nn.Linear(getattr(model, head_attr).in_features, num_classes))
        return model

    def in_place(model, head_attr, num_classes):  # returns nothing: changing the model is enough
        reference(model, head_attr, num_classes)

    def fixed_width(model, head_attr, num_classes):
        setattr(model, head_attr, nn.Linear(2048, num_classes))  # right for ResNet-50 only

    def fc_only(model, head_attr, num_classes):
        model.fc = nn.Linear(2048, num_classes)

    def resets_everything(model, head_attr, num_classes):
        for p in model.parameters():
            nn.init.zeros_(p)
        return reference(model, head_attr, num_classes)

    def extra_layer(model, head_attr, num_classes):
        width = getattr(model, head_attr).in_features
        setattr(model, head_attr, nn.Sequential(nn.Linear(width, 64), nn.Linear(64, num_classes)))

    assert checks.check("02.new_head", reference).status == "correct"
    assert checks.check("02.new_head", in_place).status == "correct"
    for wrong in (fixed_width, fc_only, resets_everything, extra_layer):
        assert checks.check("02.new_head", wrong).status == "wrong", wrong.__name__


def test_notebook_03_train_top_is_checked_on_a_tiny_bert_for_several_depths():
    from course_utils.exercises import nb03  # noqa: F401

    def reference(model, k):
        model.requires_grad_(False)
        layers = model.base_model.encoder.layer
        for part in [*layers[len(layers) - k :], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def negative_slice(model, k):  # layers[-0:] is every layer: wrong for k = 0
        model.requires_grad_(False)
        for part in [*model.base_model.encoder.layer[-k:], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def bottom_layers(model, k):
        model.requires_grad_(False)
        for part in [*model.base_model.encoder.layer[:k], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def forgets_the_pooler(model, k):
        reference(model, k)
        model.base_model.pooler.requires_grad_(False)

    def freezes_nothing(model, k):
        return model

    assert checks.check("03.train_top", reference).status == "correct"
    for wrong in (negative_slice, bottom_layers, forgets_the_pooler, freezes_nothing):
        assert checks.check("03.train_top", wrong).status == "wrong", wrong.__name__


def test_notebook_06_reverse_gradient_must_flip_the_gradient_and_not_reuse_the_notebooks_function():
    import torch

    from course_utils.exercises import nb06  # noqa: F401

    class Reversal(torch.autograd.Function):  # section 4.2's way: right, but the exercise asks for another
        @staticmethod
        def forward(ctx, x, lam):
            ctx.lam = lam
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return -ctx.lam * grad, None

    def exact(x, lam):
        return x.detach() + lam * (x.detach() - x)

    def rounded(x, lam):  # forwards equal to x up to rounding: accepted
        return (1 + lam) * x.detach() - lam * x

    assert checks.check("06.reverse", (exact,)).status == "correct"
    assert checks.check("06.reverse", (rounded,)).status == "correct"
    wrongs = [
        lambda x, lam: x,  # no reversal
        lambda x, lam: -lam * x,  # reverses the value too
        lambda x, lam: x.detach() - (x.detach() - x),  # gradient kept, not reversed
        lambda x, lam: x.detach() + (x.detach() - x),  # always -1, whatever lam
        lambda x, lam: x.detach(),  # no gradient at all
        lambda x, lam: x.sum(),  # wrong shape
        lambda x, lam: x.numpy(),  # not a tensor (raises: checked, never a traceback)
        Reversal.apply,
    ]
    for wrong in wrongs:
        assert checks.check("06.reverse", (wrong,)).status == "wrong"
    assert checks.check("06.reverse", (...,)).status == "unanswered"


def test_notebook_06_labels_runs_the_learners_choice_on_three_seeds():
    from course_utils.exercises import nb06  # noqa: F401

    def label_gain(seed, n):  # a stand-in: each labelled tweet adds a point in a thousand, less on seed 1
        return 0.001 * n - 0.001 * (seed == 1)

    assert checks.check("06.labels", (25, label_gain)).status == "correct"
    for wrong in (10, 20, 60, 0, "30", 30.0, True):  # too few, over the cap of 50, or not a count
        assert checks.check("06.labels", (wrong, label_gain)).status == "wrong", wrong


def test_whole_number_in_accepts_numpy_integers_and_refuses_bools_floats_and_strings(capsys):
    import numpy as np

    assert checks.whole_number_in(np.int64(3), 1, 5, "n") and checks.whole_number_in(5, 1, 5, "n")
    for wrong in (True, 3.0, "3", 0, 6, None):
        assert not checks.whole_number_in(wrong, 1, 5, "n"), wrong
    assert "n must be a whole number from 1 to 5" in capsys.readouterr().out


def test_notebook_08_split_must_be_stratified_reproducible_and_a_quarter():
    import random

    from sklearn.model_selection import train_test_split

    from course_utils.exercises import nb08  # noqa: F401

    def right(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=seed)

    def unstratified(examples, labels, seed):  # a quarter, seeded, but the rare class may go missing
        return train_test_split(examples, labels, test_size=0.25, shuffle=False)

    def unseeded(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=random.randrange(9999))

    def fixed(examples, labels, seed):  # ignores the seed it is given
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=0)

    def fifth(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.2, stratify=labels, random_state=seed)

    def scrambled(examples, labels, seed):  # labels split separately from their examples
        x = train_test_split(examples, test_size=0.25, random_state=seed)
        y = train_test_split(labels, test_size=0.25, random_state=seed + 1)
        return x[0], x[1], y[0], y[1]

    assert checks.check("08.split", (right,)).status == "correct"
    for wrong in (unstratified, unseeded, fixed, fifth, scrambled):
        assert checks.check("08.split", (wrong,)).status == "wrong", wrong.__name__

    def stub(examples, labels, seed): ...

    assert checks.check("08.split", (stub,)).status == "unanswered"


def test_notebook_08_interval_is_the_wilson_interval():
    import math

    from course_utils.exercises import nb08  # noqa: F401

    def wilson(k, n):
        z, p = 1.96, k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    def wald(k, n):  # the textbook interval: wrong near 0 and 1, and for small n
        p = k / n
        half = 1.96 * math.sqrt(p * (1 - p) / n)
        return p - half, p + half

    assert checks.check("08.interval", (wilson,)).status == "correct"
    assert checks.check("08.interval", (wald,)).status == "wrong"
    assert checks.check("08.interval", (lambda k, n: (0, 1),)).status == "wrong"


def test_notebook_08_reload_wants_the_saved_models_predictions(tmp_path, monkeypatch):
    import torch

    from course_utils.exercises import nb08  # noqa: F401
    from course_utils.own_input import Prediction
    from course_utils.predictor import Predictor

    class Folder(Predictor):  # a stand-in for a loaded folder: says "pos" for sentences with "good"
        def predict(self, texts):
            return [Prediction(["neg", "pos"], [0.2, 0.8] if "good" in t else [0.9, 0.1]) for t in texts]

    loaded = Folder(tmp_path, {"kind": "text", "labels": ["neg", "pos"]}, torch.nn.Identity())
    monkeypatch.setattr("course_utils.predictor.load_predictor", lambda folder: loaded)  # the checker loads it
    texts = ["good", "bad", "very good"]
    assert checks.check("08.reload", (loaded.predict(texts), tmp_path, texts)).status == "correct"
    assert checks.check("08.reload", (["pos", "neg", "pos"], tmp_path, texts)).status == "correct"
    assert checks.check("08.reload", (["pos", "pos", "pos"], tmp_path, texts)).status == "wrong"
    assert checks.check("08.reload", (["pos"], tmp_path, texts)).status == "wrong"
    assert checks.check("08.reload", (..., tmp_path, texts)).status == "unanswered"


def _tiny_classifier():
    """A stand-in with the shape of notebook 07's classifier: .encoder, .head, (input_ids, attention_mask)."""
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 16)
            self.encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))
            self.head = nn.Linear(16, 2)

        def forward(self, input_ids, attention_mask):
            mask = attention_mask.unsqueeze(-1).float()
            return self.head((self.encoder(self.embed(input_ids)) * mask).sum(1) / mask.sum(1))

    torch.manual_seed(0)
    batch = {"input_ids": torch.randint(0, 50, (32, 7)), "attention_mask": torch.ones(32, 7, dtype=torch.long)}
    return Tiny().eval(), batch


def test_notebook_07_quantize_wants_a_quantized_copy_with_a_float_head():
    import copy
    import warnings

    import torch
    from torch import nn

    from course_utils.exercises import nb07  # noqa: F401

    def dynamic(module):
        with warnings.catch_warnings():  # torch 2.14's deprecation notices
            warnings.simplefilter("ignore")
            return torch.ao.quantization.quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)

    def reference(model):
        quantized = copy.deepcopy(model)
        quantized.encoder = dynamic(quantized.encoder)
        return quantized

    def whole_model(model):
        return dynamic(copy.deepcopy(model))

    def in_place(model):
        model.encoder = dynamic(model.encoder)
        return model

    def no_quantization(model):
        return copy.deepcopy(model)

    def returns_nothing(model):
        reference(model)

    def quantizes_the_original_too(model):
        model.encoder = dynamic(model.encoder)
        return copy.deepcopy(model)

    model, batch = _tiny_classifier()
    assert checks.check("07.quantize", (reference, model, batch)).status == "correct"
    for wrong in (whole_model, no_quantization, returns_nothing, in_place, quantizes_the_original_too):
        model, batch = _tiny_classifier()
        assert checks.check("07.quantize", (wrong, model, batch)).status == "wrong", wrong.__name__

    def stub(model): ...

    assert checks.check("07.quantize", (stub, model, batch)).status == "unanswered"


def test_notebook_07_choose_picks_the_most_accurate_model_within_the_budget():
    import pandas as pd

    from course_utils.exercises import nb07  # noqa: F401

    table = pd.DataFrame(
        {"accuracy": [0.798, 0.768, 0.789, 0.755], "latency (ms, batch 1)": [10.6, 4.6, 1.3, 0.04], "spread": 0.1},
        index=["float32", "dynamic int8", "static int8", "student"],
    )

    def reference(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] <= budget_ms]
        return None if fast.empty else fast["accuracy"].idxmax()

    def ignores_budget(table, budget_ms):
        return table["accuracy"].idxmax()

    def fastest(table, budget_ms):
        return table["latency (ms, batch 1)"].idxmin()

    def strictly_under(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] < budget_ms]
        return None if fast.empty else fast["accuracy"].idxmax()

    def never_none(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] <= budget_ms]
        return fast["accuracy"].idxmax() if len(fast) else table["latency (ms, batch 1)"].idxmin()

    assert checks.check("07.choose", (reference, table)).status == "correct"
    for wrong in (ignores_budget, fastest, strictly_under, never_none):
        assert checks.check("07.choose", (wrong, table)).status == "wrong", wrong.__name__
