"""ChunkedDecoder: a Transfer-Encoding: chunked body fed in pieces cut anywhere."""

from __future__ import annotations

import pytest

from ktui.cluster.watch import ChunkedDecoder, ChunkedFramingError

EVENTS = [b'{"type":"ADDED","object":{"n":%d}}\n' % i for i in range(3)]
# Three one-event chunks (one with extensions), the last-chunk with an extension and two
# trailer fields.
SAMPLE = (
    b"%x\r\n%s\r\n" % (len(EVENTS[0]), EVENTS[0])
    + b"%x;name=value;flag\r\n%s\r\n" % (len(EVENTS[1]), EVENTS[1])
    + b"%X\r\n%s\r\n" % (len(EVENTS[2]), EVENTS[2])
    + b"0;last=1\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n"
)
BODY = b"".join(EVENTS)


def decode(pieces: list[bytes], decoder: ChunkedDecoder | None = None) -> bytes:
    decoder = decoder if decoder is not None else ChunkedDecoder()
    return b"".join(decoder.feed(piece) for piece in pieces)


def test_a_whole_body_in_one_piece() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(SAMPLE) == BODY
    assert decoder.ended and decoder.complete


def test_byte_by_byte() -> None:
    decoder = ChunkedDecoder()
    out = []
    for index in range(len(SAMPLE)):
        out.append(decoder.feed(SAMPLE[index : index + 1]))
        # The end is reported exactly when the last-chunk's line is complete.
        assert decoder.ended == (index >= SAMPLE.index(b"0;last=1\r\n") + len(b"0;last=1\r\n") - 1)
    assert b"".join(out) == BODY
    assert decoder.complete


@pytest.mark.parametrize("cut", range(len(SAMPLE) + 1))
def test_every_split_point(cut: int) -> None:
    decoder = ChunkedDecoder()
    assert decode([SAMPLE[:cut], SAMPLE[cut:]], decoder) == BODY
    assert decoder.complete


def test_every_pair_of_split_points() -> None:
    for first in range(0, len(SAMPLE) + 1, 3):
        for second in range(first, len(SAMPLE) + 1, 5):
            pieces = [SAMPLE[:first], SAMPLE[first:second], SAMPLE[second:]]
            decoder = ChunkedDecoder()
            assert decode(pieces, decoder) == BODY, (first, second)
            assert decoder.complete


def test_empty_feeds_change_nothing() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"") == b""
    assert decoder.feed(b"3\r") == b""
    assert decoder.feed(b"") == b""
    assert decoder.feed(b"\nabc\r\n0\r\n\r\n") == b"abc"
    assert decoder.complete


def test_the_end_before_the_trailer_section_ends() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"2\r\nhi\r\n0\r\n") == b"hi"
    assert decoder.ended and not decoder.complete
    decoder.feed(b"Expires: never\r\n")
    assert not decoder.complete
    decoder.feed(b"\r\n")
    assert decoder.complete


def test_bare_lf_line_ends_and_blanks_around_the_size() -> None:
    # http.client accepts these too.
    assert decode([b"3 \nabc\n 2\t;x=y\r\nde\r\n0\n\n"]) == b"abcde"


def test_a_large_chunk_split_across_many_feeds() -> None:
    data = bytes(range(256)) * 1000
    framed = b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)
    pieces = [framed[i : i + 4093] for i in range(0, len(framed), 4093)]
    decoder = ChunkedDecoder()
    assert decode(pieces, decoder) == data
    assert decoder.complete


def test_starting_inside_a_chunk() -> None:
    # http.client already read "5\r\nhe": three data bytes and the CRLF are left.
    decoder = ChunkedDecoder(chunk_left=3)
    assert decoder.feed(b"llo\r\n2\r\n!!\r\n0\r\n\r\n") == b"llo!!"
    assert decoder.complete
    # ... or read all of the data: only the CRLF is left.
    decoder = ChunkedDecoder(chunk_left=0)
    assert decoder.feed(b"\r\n1\r\nx\r\n0\r\n\r\n") == b"x"
    with pytest.raises(ValueError):
        ChunkedDecoder(chunk_left=-1)


@pytest.mark.parametrize(
    "framed",
    [
        pytest.param(b"zz\r\nabc\r\n", id="not hex"),
        pytest.param(b"\r\nabc\r\n", id="empty size"),
        pytest.param(b"-3\r\nabc\r\n", id="negative"),
        pytest.param(b"0x3\r\nabc\r\n", id="0x prefix"),
        pytest.param(b"1_0\r\nabc\r\n", id="underscore"),
        pytest.param(b"+3\r\nabc\r\n", id="plus sign"),
        pytest.param(b"1" * 17 + b"\r\n", id="too many digits"),
        pytest.param(b";ext\r\nabc\r\n", id="extension only"),
        pytest.param(b"3\r\nabcX\r\n", id="data longer than its size"),
        pytest.param(b"3\r\nabc\r\r\n", id="two CRs after data"),
        pytest.param(b"2\r\nab\r\n0\r\n\r\nmore", id="data after the end"),
    ],
)
def test_malformed_framing_is_a_value_error(framed: bytes) -> None:
    with pytest.raises(ValueError):
        ChunkedDecoder().feed(framed)
    # Cut anywhere, the same error.
    for cut in range(len(framed)):
        decoder = ChunkedDecoder()
        with pytest.raises(ValueError):
            decoder.feed(framed[:cut])
            decoder.feed(framed[cut:])


def test_a_size_line_without_end_is_refused_once_too_long() -> None:
    decoder = ChunkedDecoder()
    decoder.feed(b"1;" + b"x" * 1000)  # long extensions are allowed
    with pytest.raises(ValueError, match="too long"):
        for _ in range(100):
            decoder.feed(b"x" * 1000)


def test_error_messages_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="malformed chunk size line: b'zz'"):
        ChunkedDecoder().feed(b"zz\r\n")
    with pytest.raises(ValueError, match="no CRLF after chunk data"):
        ChunkedDecoder().feed(b"1\r\nab\r\n")
    with pytest.raises(ValueError, match="after the end"):
        ChunkedDecoder().feed(b"0\r\n\r\nx")


def test_the_body_before_a_fault_is_kept_and_the_decoder_stays_broken() -> None:
    decoder = ChunkedDecoder()
    with pytest.raises(ChunkedFramingError) as caught:
        decoder.feed(b"3\r\nabc\r\n2\r\nde\r\nzz\r\n")
    assert isinstance(caught.value, ValueError)
    assert caught.value.decoded == b"abcde"
    assert not decoder.ended
    with pytest.raises(ChunkedFramingError, match="out of step"):
        decoder.feed(b"1\r\nx\r\n")
