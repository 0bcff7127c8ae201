"""Interactive explorers that also render as static output (nbval, GitHub, nbviewer)."""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass

from .errors import ParameterError


@dataclass(frozen=True)
class BatchPlan:
    """How a DataLoader splits ``n_samples`` into batches, epoch after epoch."""

    n_samples: int
    batch_size: int
    epochs: int = 1
    drop_last: bool = False

    def __post_init__(self) -> None:
        for name in ("n_samples", "batch_size", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name} must be a whole number of at least 1, got {value!r}")

    @property
    def iterations_per_epoch(self) -> int:
        """Optimizer steps in one pass over the data (what ``len(loader)`` returns)."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    @property
    def total_steps(self) -> int:
        return self.iterations_per_epoch * self.epochs

    @property
    def batch_sizes(self) -> list[int]:
        """Size of each batch in one epoch; a short last batch unless ``drop_last``."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest and not self.drop_last else [])

    @property
    def samples_seen_per_epoch(self) -> int:
        return sum(self.batch_sizes)

    def summary(self) -> str:
        dropped = self.n_samples - self.samples_seen_per_epoch
        last = self.batch_sizes[-1] if self.batch_sizes else 0
        text = (
            f"{self.n_samples} samples / batch size {self.batch_size} -> "
            f"{self.iterations_per_epoch} iterations per epoch x {self.epochs} epochs = {self.total_steps} steps"
        )
        if dropped:
            text += f" ({dropped} samples dropped each epoch by drop_last)"
        elif last != self.batch_size:
            text += f" (last batch holds {last})"
        return text

    def to_html(self, max_epochs: int = 5) -> str:
        """A picture of the batches: one row per epoch, one block per batch, width = its size."""
        colors = ["#4c72b0", "#dd8452"]
        rows = []
        for epoch in range(min(self.epochs, max_epochs)):
            blocks = "".join(
                f'<div title="batch {i + 1}: {size} samples" style="flex:{size} 0 0; min-width:1px; '
                f'height:18px; margin-right:1px; background:{colors[i % 2]}"></div>'
                for i, size in enumerate(self.batch_sizes)
            )
            gap = self.n_samples - self.samples_seen_per_epoch
            dropped = f'<div style="flex:{gap} 0 0; height:18px; background:#ddd"></div>' if gap else ""
            rows.append(
                f'<div style="display:flex; align-items:center; margin:2px 0"><span style="width:70px">'
                f'epoch {epoch + 1}</span><div style="display:flex; flex:1">{blocks}{dropped}</div></div>'
            )
        if self.epochs > max_epochs:
            rows.append(f"<div>... {self.epochs - max_epochs} more epochs</div>")
        return (
            f'<div class="batch-plan"><p><b class="iterations-per-epoch">{self.iterations_per_epoch}</b> '
            f"iterations per epoch, <b class='total-steps'>{self.total_steps}</b> steps in all. "
            f"{html.escape(self.summary())}</p>{''.join(rows)}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


class _LiveWidget:
    """A live ipywidgets view, built on first display, with a static rendering where widgets are not
    shown (nbval, a plain viewer). Subclasses give ``_build()`` and ``_static()``."""

    _widget = None

    def _build(self):
        raise NotImplementedError

    def _static(self) -> tuple[str, str]:
        """The (text, HTML) rendering shown without a live kernel."""
        raise NotImplementedError

    @property
    def widget(self):
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        text, markup = self._static()
        bundle = {"text/html": markup}
        with contextlib.suppress(ImportError):  # without ipywidgets the static rendering is all there is
            bundle.update(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = text  # never a widget repr with a memory address
        return bundle


class BatchExplorer(_LiveWidget):
    """Sliders for dataset size, batch size and epochs, with the resulting plan.

    In a live notebook it shows ipywidgets; where widgets are not rendered (nbval, a plain
    viewer) the same cell output carries a static HTML and text rendering of the plan.
    """

    def __init__(self, n_samples: int = 1000, batch_size: int = 100, epochs: int = 3, drop_last: bool = False):
        self.plan = BatchPlan(n_samples, batch_size, epochs, drop_last)
        self._widget = None

    def _build(self):
        import ipywidgets as w

        style = {"description_width": "110px"}
        layout = w.Layout(width="480px")
        self.n_samples = w.IntSlider(self.plan.n_samples, 10, 5000, 10, description="dataset size", style=style)
        self.batch_size = w.IntSlider(self.plan.batch_size, 1, 1000, 1, description="batch size", style=style)
        self.epochs = w.IntSlider(self.plan.epochs, 1, 10, 1, description="epochs", style=style)
        self.drop_last = w.Checkbox(self.plan.drop_last, description="drop_last", style=style)
        for slider in (self.n_samples, self.batch_size, self.epochs):
            slider.layout = layout
        self.view = w.HTML(self.plan.to_html())
        for control in (self.n_samples, self.batch_size, self.epochs, self.drop_last):
            control.observe(self._update, names="value")
        return w.VBox([self.n_samples, self.batch_size, self.epochs, self.drop_last, self.view])

    def _update(self, _change=None) -> None:
        self.plan = BatchPlan(self.n_samples.value, self.batch_size.value, self.epochs.value, self.drop_last.value)
        self.view.value = self.plan.to_html()

    def _static(self) -> tuple[str, str]:
        return self.plan.summary(), self.plan.to_html()


class ClassifyBox(_LiveWidget):
    """Classify the learner's own input: an upload button and a path box (``kind="image"``) or a text
    area (``kind="text"``), wired to ``classify``, which returns a prediction or raises a CourseError.

    ``submit(value)`` does what a click does and returns the HTML shown, so tests drive the same path
    as a learner. Where widgets are not rendered, the cell shows a line saying how to use the box.
    """

    _HELP = {
        "image": "upload a photo, or type the path of an image file and press Enter",
        "text": "type a sentence and press 'classify'",
    }

    def __init__(self, classify, kind: str = "image"):
        if kind not in self._HELP:
            raise ParameterError(f"kind must be 'image' or 'text', got {kind!r}")
        self.classify, self.kind = classify, kind
        self.shown = ""
        self._widget = None

    def submit(self, value) -> str:
        """Classify ``value`` (a path, uploaded bytes or a sentence) and show the result or the problem."""
        from .errors import CourseError

        try:
            result = self.classify(value)
        except CourseError as exc:  # bad input: one sentence, in red, and the box keeps working
            self.shown = f'<div style="color:#b00020">{html.escape(str(exc))}</div>'
        else:
            self.shown = result._repr_html_() if hasattr(result, "_repr_html_") else html.escape(repr(result))
        if self._widget is not None:
            self.view.value = self.shown
        return self.shown

    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:  # ipywidgets 8: a tuple of dicts with the file's name and its bytes as "content"
            self.submit(bytes(files[0]["content"]))

    def _build(self):
        import ipywidgets as w

        self.view = w.HTML(self.shown)
        if self.kind == "image":
            self.upload = w.FileUpload(accept="image/*", multiple=False, description="upload a photo")
            self.upload.observe(self._on_upload, names="value")
            self.path = w.Text(placeholder="or type a path, then press Enter", continuous_update=False)
            self.path.observe(lambda change: self.submit(change["new"]), names="value")
            controls = [w.HBox([self.upload, self.path])]
        else:
            self.text = w.Textarea(placeholder="type a sentence", layout=w.Layout(width="480px"))
            self.button = w.Button(description="classify")
            self.button.on_click(lambda _button: self.submit(self.text.value))
            controls = [self.text, self.button]
        return w.VBox([*controls, self.view])

    def _static(self) -> tuple[str, str]:
        note = f"Your own {self.kind}: {self._HELP[self.kind]} (in a live notebook)."
        return note, f"<div>{html.escape(note)}</div>{self.shown}"


class ProgressView(_LiveWidget):
    """The learner's exercise progress per notebook, with a button that reads the progress file again.

    Where widgets are not rendered, the cell shows the table as it was when the cell ran.
    """

    def __init__(self):
        self._widget = None

    @staticmethod
    def _html() -> str:
        from .learner_progress import as_html, notebook_table
        from .progress import own_events

        return as_html(notebook_table(own_events()))

    def _build(self):
        import ipywidgets as w

        self.view = w.HTML(self._html())
        self.button = w.Button(description="refresh")
        self.button.on_click(lambda _button: self.refresh())
        return w.VBox([self.view, self.button])

    def refresh(self) -> str:
        """Read the progress file again (what the button does); returns the HTML shown."""
        shown = self._html()
        if self._widget is not None:
            self.view.value = shown
        return shown

    def _static(self) -> tuple[str, str]:
        from .learner_progress import as_text, notebook_table
        from .progress import own_events

        return as_text(notebook_table(own_events())), self._html()
