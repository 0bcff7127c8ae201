"""Exercises for notebook 03: BERT sentiment classification, frozen encoder vs fine-tuning."""

from __future__ import annotations

from collections.abc import Callable

from ..checks import equals, register

# Sentences whose sentiment no reasonable SST-2 classifier gets wrong.
_CLEAR = {
    "a masterpiece : moving , funny and beautifully acted .": "positive",
    "one of the most delightful films of the year .": "positive",
    "a dull , lifeless and painfully boring mess .": "negative",
    "the worst movie i have seen in years .": "negative",
}


def _classifies_clear_sentences(classify: Callable) -> bool:
    labels = list(classify(list(_CLEAR)))
    return [str(label).lower() for label in labels] == list(_CLEAR.values())


register(
    "03.head_params",
    "How many trainable parameters does a 2-class linear head on MiniLM's 384-number sentence vectors have?",
    equals(770),
    "one weight per (input, output) pair plus one bias per output.",
)
register(
    "03.steps",
    "How many optimizer steps do 2 epochs over 1,000 sentences at batch size 16 take (last batch kept)?",
    equals(126),
    "steps per epoch = ceil(sentences / batch size); multiply by the epochs.",
)
register(
    "03.pad_mask",
    "Which attention_mask value marks a [PAD] position, 0 or 1?",
    lambda answer: str(answer).strip() == "0",
    "the mask says which positions attention may look at; padding must be ignored.",
)
register(
    "03.classify",
    "Write classify(sentences) returning 'positive' or 'negative' for each sentence, using the fine-tuned model.",
    _classifies_clear_sentences,
    "tokenize the list with padding=True and return_tensors='pt', run the model under torch.inference_mode(), "
    "take logits.argmax(-1) and map 0/1 to SST2_LABELS.",
)
