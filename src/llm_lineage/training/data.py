"""Stream the token Parquet that TokenizationOperator wrote, in seeded-shuffled batches.

Only ``input_ids`` is read, one record batch at a time, so memory holds the shuffle buffer and
one batch whatever the dataset's size. Several files (the shards of a mapped tokenization) read
as one dataset; each record batch is checked against the model (vocabulary, positions) with
Arrow compute, and an error names the file.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llm_lineage.common.errors import LlmLineageError

INPUT_IDS = "input_ids"
_READ_ROWS = 1024


class DatasetError(LlmLineageError, ValueError):
    """The token dataset cannot be trained on; the message names the file and says why."""


@dataclass(frozen=True)
class TokenFile:
    path: Path
    label: str
    """How messages name the file (its URI)."""
    sequences: int

    @classmethod
    def open(cls, path: Path, label: str) -> TokenFile:
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


@dataclass
class TokenData:
    files: tuple[TokenFile, ...]
    rows_read: list[int] = field(default_factory=list)
    """Rows read from each file so far, all epochs (the inputs' inputStatistics)."""

    def __post_init__(self) -> None:
        self.rows_read = [0] * len(self.files)

    @classmethod
    def open(cls, path: Path, label: str) -> TokenData:
        return cls((TokenFile.open(path, label),))

    @classmethod
    def open_all(cls, files: Sequence[tuple[Path, str]]) -> TokenData:
        if not files:
            raise DatasetError("no dataset given")
        return cls(tuple(TokenFile.open(path, label) for path, label in files))

    @property
    def sequences(self) -> int:
        return sum(f.sequences for f in self.files)

    @property
    def label(self) -> str:
        return ", ".join(f.label for f in self.files)

    def micro_batches_per_epoch(self, batch_size: int) -> int:
        return math.ceil(self.sequences / batch_size)

    def batches(
        self,
        batch_size: int,
        seed: int,
        epoch: int,
        shuffle_buffer: int,
        vocabulary: int | None = None,
        positions: int | None = None,
    ) -> Iterator[list[list[int]]]:
        """One epoch of batches; the same seed and epoch give the same order.

        With ``vocabulary`` and ``positions`` every record batch is checked first: token ids
        outside the model's vocabulary or sequences longer than its positions raise DatasetError.
        """
        rng = random.Random(seed * 1_000_003 + epoch)
        batch: list[list[int]] = []
        stream = self._sequences(vocabulary, positions)
        for sequence in _shuffled(stream, rng, shuffle_buffer):
            batch.append(sequence)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def shares(
        self,
        batch_size: int,
        seed: int,
        epoch: int,
        shuffle_buffer: int,
        rank: int,
        world: int,
        vocabulary: int | None = None,
        positions: int | None = None,
    ) -> Iterator[Share]:
        """Rank ``rank``'s micro-batches of one epoch when ``world`` processes train together.

        Every process reads the one seeded order ``batches`` gives, in groups of
        ``batch_size * world`` sequences, and takes its ``deal`` of each group: the epoch's
        i-th sequence goes to rank ``i % world``, DistributedSampler's interleaving, without
        its padding (which repeats sequences) or ``drop_last`` (which skips them). When
        ``world`` does not divide a group, the lower ranks get one sequence more and a rank
        may get none of the last group: it still takes the step, with an empty share.
        """
        for group in self.batches(
            batch_size * world, seed, epoch, shuffle_buffer, vocabulary, positions
        ):
            yield Share(deal(group, rank, world), len(group), sum(len(s) - 1 for s in group))

    def _sequences(self, vocabulary: int | None, positions: int | None) -> Iterator[list[int]]:
        for index, file in enumerate(self.files):
            reader = pq.ParquetFile(file.path)
            for record_batch in reader.iter_batches(batch_size=_READ_ROWS, columns=[INPUT_IDS]):
                column = record_batch.column(0)
                _check(column, file.label, vocabulary, positions)
                self.rows_read[index] += len(column)
                for sequence in column.to_pylist():
                    if sequence is not None and len(sequence) > 1:  # one token predicts nothing
                        yield sequence


@dataclass(frozen=True)
class Share:
    """One rank's part of a micro-batch group, and the group's size, to weigh its loss by."""

    sequences: list[list[int]]
    group_sequences: int
    group_targets: int
    """Tokens the whole group predicts (each sequence's length less one): the loss's divisor."""


def deal(group: Sequence[list[int]], rank: int, world: int) -> list[list[int]]:
    """Rank ``rank``'s sequences of ``group``: every ``world``-th, from the ``rank``-th."""
    return list(group[rank::world])


def _check(column: pa.Array, label: str, vocabulary: int | None, positions: int | None) -> None:
    if positions is not None:
        longest = pc.max(pc.list_value_length(column)).as_py()
        if longest is not None and longest > positions:
            raise DatasetError(
                f"dataset {label} has a sequence of {longest} tokens, more than the base "
                f"model's {positions} positions; tokenize with a smaller max_length or block_size"
            )
    if vocabulary is not None:
        bounds = pc.min_max(pc.list_flatten(column)).as_py()
        if bounds["max"] is not None and (bounds["max"] >= vocabulary or bounds["min"] < 0):
            bad = bounds["max"] if bounds["max"] >= vocabulary else bounds["min"]
            raise DatasetError(
                f"dataset {label} holds token id {bad}, outside the base model's vocabulary of "
                f"{vocabulary}: it was tokenized with a tokenizer that does not belong to this "
                "model"
            )


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
