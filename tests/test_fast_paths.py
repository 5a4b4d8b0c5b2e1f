"""Fast paths around Pelican's own slow ones give what Pelican's give."""

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.utils import get_date

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from news_reader.reader import iso_date  # noqa: E402

_NUMBERS = st.tuples(*(st.integers(0, limit) for limit in (9999, 13, 32, 25, 61, 61)))
_SHAPES = ["{:04d}-{:02d}-{:02d}", "{:04d}-{:02d}-{:02d} {:02d}:{:02d}", "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}",
           "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", "{:d}-{:d}-{:d}", "{:04d}-{:02d}-{:02d}  {:02d}:{:02d}"]


@settings(max_examples=3000, deadline=None)
@given(_NUMBERS, st.sampled_from(_SHAPES))
def test_an_iso_date_reads_as_pelicans_date_reader_reads_it(numbers, shape):
    text = shape.format(*numbers)
    fast = iso_date(text)
    if fast is not None:  # else Pelican's reader reads it (and reports it when it is no date)
        slow = get_date(text)
        assert (fast, type(fast), fast.tzinfo) == (slow, type(slow), slow.tzinfo)


def test_the_usual_dates_take_the_fast_path():
    assert iso_date("2024-12-29 04:42") == get_date("2024-12-29 04:42")
    assert iso_date("2024-12-29") == get_date("2024-12-29")
    assert iso_date("2024-02-30") is None and iso_date("29 December 2024") is None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 70000))
def test_control_bytes_are_counted_as_one_by_one(data, padding):
    from news_reader.decode import _control_share

    data = data + b"\x01" * (padding if padding > 66000 else 0)  # past the 64 KiB that are looked at, too
    head = data[:65536]
    expected = sum(1 for byte in head if byte < 0x20 and byte not in (0x09, 0x0A, 0x0C, 0x0D)) / len(head) if data else 0.0
    assert _control_share(data) == expected
