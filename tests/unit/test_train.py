"""course_utils.train: the loop learns, keeps its best weights, stops early, refuses bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.errors import ParameterError
from course_utils.train import History, count_parameters, evaluate, fit, pick_device, seed_everything


def toy_data(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()  # linearly separable
    return TensorDataset(x, y)


def test_fit_learns_and_records_every_step_and_epoch():
    seed_everything(0)
    train, val = DataLoader(toy_data(), batch_size=32), DataLoader(toy_data(seed=1), batch_size=100)
    model = nn.Linear(2, 2)
    history = fit(model, train, val, epochs=5, optimizer=torch.optim.SGD(model.parameters(), lr=0.5), progress=False)
    assert len(history.epochs) == 5 and len(history.step_loss) == 5 * 7  # ceil(200 / 32) = 7
    assert history.epochs[-1]["val_acc"] > 0.9 and history.column("epoch") == [1, 2, 3, 4, 5]
    assert {"train_loss", "train_acc", "val_loss", "val_acc", "seconds", "lr"} <= set(history.epochs[0])
    assert "0x" not in repr(history)


def test_fit_restores_the_best_epoch_weights():
    seed_everything(0)
    train, val = DataLoader(toy_data(), batch_size=32), DataLoader(toy_data(seed=1), batch_size=100)
    model = nn.Linear(2, 2)
    # A learning rate that is far too high makes later epochs worse than the best one.
    history = fit(model, train, val, epochs=8, optimizer=torch.optim.SGD(model.parameters(), lr=50.0), progress=False)
    best = min(history.column("val_loss"))
    assert history.epochs[history.best_epoch - 1]["val_loss"] == best
    assert evaluate(model, val)["loss"] == pytest.approx(best, rel=1e-5)


def test_patience_stops_early():
    seed_everything(0)
    data = DataLoader(toy_data(), batch_size=50)
    model = nn.Linear(2, 2)
    # lr=0: nothing improves after epoch 1, so patience 2 stops after epoch 3.
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    history = fit(model, data, data, epochs=10, optimizer=opt, patience=2, progress=False)
    assert len(history.epochs) == 3 and history.best_epoch == 1


def test_scheduler_steps_once_per_epoch():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(
        model, DataLoader(toy_data(), batch_size=100), epochs=3, optimizer=opt, scheduler=sched, progress=False
    )
    assert history.column("lr") == [1.0, 0.5, 0.25]


def test_optimizer_with_only_frozen_parameters_is_refused():
    model = nn.Linear(2, 2)
    model.requires_grad_(False)
    with pytest.raises(ParameterError, match="no trainable parameter"):
        fit(model, DataLoader(toy_data()), epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_bad_epochs_and_monitor_are_clear_errors():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ParameterError, match="epochs"):
        fit(model, DataLoader(toy_data()), epochs=0, optimizer=opt)
    with pytest.raises(ParameterError, match="monitor"):
        fit(model, DataLoader(toy_data()), epochs=1, optimizer=opt, monitor="accuracy")


def test_train_mode_hook_is_called_each_epoch():
    calls = []
    model = nn.Sequential(nn.Linear(2, 2))
    fit(
        model,
        DataLoader(toy_data(), batch_size=100),
        epochs=2,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        train_mode=lambda m: calls.append(m.eval()),
        progress=False,
    )
    assert len(calls) == 2


def test_seeding_makes_runs_identical():
    def run():
        g = seed_everything(7)
        model = nn.Linear(2, 2)
        return fit(
            model,
            DataLoader(toy_data(), batch_size=16, shuffle=True, generator=g),
            epochs=2,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            progress=False,
        ).step_loss

    assert run() == run()


def test_count_parameters_and_device(monkeypatch):
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[0].requires_grad_(False)
    assert count_parameters(model) == (8, 15)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert isinstance(History(), History)


def test_the_cpu_is_used_unless_course_device_asks_for_another(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # even where a GPU is present
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert pick_device() == torch.device("cuda")


def test_an_unavailable_or_unknown_device_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(ParameterError, match="not available on this machine; unset COURSE_DEVICE"):
        pick_device()
    monkeypatch.setenv("COURSE_DEVICE", "gpu-please")
    with pytest.raises(ParameterError, match="Unknown device 'gpu-please'"):
        pick_device()


def test_fit_says_once_which_device_it_trains_on(monkeypatch, capsys):
    from course_utils import train

    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(train, "_ANNOUNCED", set())
    for _ in range(2):
        model = nn.Linear(2, 2)
        fit(
            model,
            [(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))],
            epochs=1,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            progress=False,
        )
    out = capsys.readouterr().out
    assert out.count("fit(): training on cpu") == 1 and "COURSE_DEVICE" in out


def test_release_memory_runs_anywhere():
    from course_utils.train import release_memory

    assert release_memory() is None
