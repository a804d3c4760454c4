"""A character-level text corpus: the bundled Shakespeare plays by default, with encoding,
a train/validation split and random training windows."""

from __future__ import annotations

import gzip

import torch

from .bundle import bundled_file, check_size


class CharCorpus:
    """A character-level corpus with ``encode``/``decode`` (Shakespeare by default)."""

    def __init__(self, text: str | None = None) -> None:
        if text is None:
            text = gzip.decompress(bundled_file("shakespeare.txt.gz").read_bytes()).decode("ascii")
        if not text:
            raise ValueError("the corpus text is empty")
        self.text = text
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> torch.Tensor:
        """Characters to a 1-D int64 tensor of token ids."""
        unknown = sorted(set(s) - self.stoi.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown!r}")
        return torch.tensor([self.stoi[c] for c in s], dtype=torch.long)

    def decode(self, ids) -> str:
        """Token ids (tensor or list) back to a string."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        return "".join(self.itos[int(i)] for i in ids)

    def splits(self, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoded corpus cut into train and validation parts (the last ``val_fraction``)."""
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        data = self.encode(self.text)
        cut = int(len(data) * (1.0 - val_fraction))
        if min(cut, len(data) - cut) < 2:
            raise ValueError(
                f"a text of {len(data)} characters split with val_fraction={val_fraction} leaves {cut} for training and "
                f"{len(data) - cut} for validation; each part needs at least 2 (an input and the character after it): use a longer text"
            )
        return data[:cut], data[cut:]

    @staticmethod
    def get_batch(
        data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows: inputs ``(batch, block)`` and targets shifted by one character."""
        check_size("block_size", block_size)
        check_size("batch_size", batch_size)
        if len(data) <= block_size:
            raise ValueError(f"data has {len(data)} tokens, fewer than block_size + 1 = {block_size + 1}")
        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        idx = starts[:, None] + torch.arange(block_size + 1)
        windows = data[idx]
        return windows[:, :-1], windows[:, 1:]
