"""Stream the token Parquet that TokenizationOperator wrote, in seeded-shuffled batches.

Only ``input_ids`` is read, one record batch at a time, so memory holds the shuffle buffer and
one batch whatever the dataset's size.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

INPUT_IDS = "input_ids"
_READ_ROWS = 1024


class DatasetError(ValueError):
    """The token dataset cannot be trained on; the message names the file and says why."""


@dataclass(frozen=True)
class TokenData:
    path: Path
    label: str
    """How messages name the dataset (its URI)."""
    sequences: int

    @classmethod
    def open(cls, path: Path, label: str) -> TokenData:
        """Check that ``path`` is Parquet with an integer-list ``input_ids`` column and rows."""
        try:
            metadata = pq.ParquetFile(path).metadata
        except (pa.ArrowInvalid, OSError) as error:
            raise DatasetError(f"dataset {label} is not a Parquet file: {error}") from error
        schema = metadata.schema.to_arrow_schema()
        if INPUT_IDS not in schema.names:
            raise DatasetError(
                f"dataset {label} has no '{INPUT_IDS}' column (columns: "
                f"{', '.join(schema.names)}); train on the tokens.parquet that "
                "TokenizationOperator writes"
            )
        kind = schema.field(INPUT_IDS).type
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_integer(
            kind.value_type
        ):
            raise DatasetError(
                f"dataset {label}: column '{INPUT_IDS}' is {kind}, not a list of integers"
            )
        if metadata.num_rows == 0:
            raise DatasetError(f"dataset {label} has no sequences")
        return cls(path, label, metadata.num_rows)

    def micro_batches_per_epoch(self, batch_size: int) -> int:
        return math.ceil(self.sequences / batch_size)

    def batches(
        self, batch_size: int, seed: int, epoch: int, shuffle_buffer: int
    ) -> Iterator[list[list[int]]]:
        """One epoch of batches; the same seed and epoch give the same order."""
        rng = random.Random(seed * 1_000_003 + epoch)
        batch: list[list[int]] = []
        for sequence in _shuffled(self._sequences(), rng, shuffle_buffer):
            batch.append(sequence)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _sequences(self) -> Iterator[list[int]]:
        reader = pq.ParquetFile(self.path)
        for record_batch in reader.iter_batches(batch_size=_READ_ROWS, columns=[INPUT_IDS]):
            for sequence in record_batch.column(0).to_pylist():
                if len(sequence) > 1:  # one token predicts nothing
                    yield sequence


def _shuffled(items: Iterator[list[int]], rng: random.Random, size: int) -> Iterator[list[int]]:
    """Buffer shuffle: a uniform pick from ``size`` held items; ``size`` 0 keeps the order."""
    if size <= 1:
        yield from items
        return
    buffer: list[list[int]] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        index = rng.randrange(size)
        yield buffer[index]
        buffer[index] = item
    rng.shuffle(buffer)
    yield from buffer
