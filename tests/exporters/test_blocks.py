"""Marked blocks: insert, replace and remove keep every byte outside the block."""

from __future__ import annotations

import pytest

from rulepack.exporters.install.blocks import (
    BlockError,
    block_body,
    find_block,
    newline_of,
    remove_block,
    upsert_block,
)

BEGIN = "<!-- rulepack:begin x -->"
END = "<!-- rulepack:end x -->"
BODY = "# Rules\n\n- one\n- two\n"


def upsert(text: str, body: str = BODY) -> tuple[str, str]:
    result = upsert_block(text, body, BEGIN, END, "AGENTS.md")
    return result.text, result.separator


def remove(text: str, separator: str) -> str:
    return remove_block(text, BEGIN, END, separator, "AGENTS.md")


def test_insert_into_empty_file_is_just_the_block() -> None:
    text, separator = upsert("")
    assert text == f"{BEGIN}\n# Rules\n\n- one\n- two\n{END}\n"
    assert separator == ""
    assert remove(text, separator) == ""


def test_insert_into_lf_file_appends_after_one_blank_line() -> None:
    original = "# Mine\n\nkeep me\n"
    text, separator = upsert(original)
    assert text == original + f"\n{BEGIN}\n# Rules\n\n- one\n- two\n{END}\n"
    assert separator == "\n"
    assert remove(text, separator) == original


def test_insert_into_crlf_file_writes_the_block_with_crlf() -> None:
    original = "# Mine\r\n\r\nkeep me\r\n"
    text, separator = upsert(original)
    assert text == original + f"\r\n{BEGIN}\r\n# Rules\r\n\r\n- one\r\n- two\r\n{END}\r\n"
    assert separator == "\r\n"
    assert "\n" not in text.replace("\r\n", "")
    assert remove(text, separator) == original


def test_insert_into_file_without_trailing_newline() -> None:
    original = "no newline at the end"
    text, separator = upsert(original)
    assert text.startswith(original + "\n\n" + BEGIN + "\n")
    assert separator == "\n\n"
    assert remove(text, separator).encode() == original.encode()


def test_insert_into_crlf_file_without_trailing_newline() -> None:
    original = "line one\r\nline two"
    text, separator = upsert(original)
    assert text.startswith(original + "\r\n\r\n" + BEGIN + "\r\n")
    assert remove(text, separator) == original


def test_insert_after_a_lone_cr_keeps_it() -> None:
    original = "old mac line\r"
    text, separator = upsert(original)
    assert text.startswith(original)
    assert find_block(text, BEGIN, END, "f") is not None
    assert remove(text, separator) == original


def test_replace_keeps_text_before_and_after_the_block() -> None:
    before = "intro\r\n\r\n"
    after = "\r\n## Mine after the block\r\ntrailing\r\n"
    old_block = f"{BEGIN}\r\nold body\r\n{END}\r\n"
    text, separator = upsert(before + old_block + after, "new body\n")
    assert text == before + f"{BEGIN}\r\nnew body\r\n{END}\r\n" + after
    assert separator == ""


def test_replace_with_the_same_body_is_identical() -> None:
    text, _ = upsert("mine\n")
    again, separator = upsert(text)
    assert again == text
    assert separator == ""


def test_remove_restores_the_original_bytes_exactly() -> None:
    originals = [
        "",
        "\n",
        "a",
        "a\n",
        "a\r\n",
        "a\r\nb\nc\r\n",
        "\r\n\r\n\r\n",
        "tabs\tand  spaces  \n   ",
        "unicode ✓ \u2028 \u202e עברית 🎉\n",
    ]
    for original in originals:
        text, separator = upsert(original)
        assert text.startswith(original)
        assert remove(text, separator).encode() == original.encode(), repr(original)


def test_remove_leaves_user_text_after_the_block() -> None:
    text, separator = upsert("before\n")
    text += "after, added by hand\n"
    assert remove(text, separator) == "before\nafter, added by hand\n"


def test_remove_without_block_changes_nothing() -> None:
    assert remove("just mine\n", "\n") == "just mine\n"


def test_separator_is_not_taken_when_the_user_removed_it() -> None:
    # The separator is only removed when the text before the block still ends with it.
    text = f"mine\n{BEGIN}\nbody\n{END}\n"
    assert remove(text, "\n\n") == "mine\n"


def test_begin_without_end_raises_with_the_path() -> None:
    with pytest.raises(BlockError, match=r"^AGENTS\.md: .*rulepack:begin x.* no matching"):
        upsert(f"mine\n{BEGIN}\nbody\n")


def test_end_without_begin_raises_with_the_path() -> None:
    with pytest.raises(BlockError, match=r"^AGENTS\.md: .*rulepack:end x.* no matching"):
        upsert(f"mine\n{END}\n")


def test_two_blocks_raise_with_the_path() -> None:
    block = f"{BEGIN}\nbody\n{END}\n"
    with pytest.raises(BlockError, match=r"^AGENTS\.md: the rulepack block appears twice"):
        upsert(block + "mine\n" + block)
    with pytest.raises(BlockError, match=r"AGENTS\.md"):
        remove(block + block, "")


def test_nested_begin_raises() -> None:
    with pytest.raises(BlockError, match=r"AGENTS\.md"):
        find_block(f"{BEGIN}\n{BEGIN}\n{END}\n", BEGIN, END, "AGENTS.md")


def test_markers_are_whole_lines_only() -> None:
    text = f"see {BEGIN} in the docs\n  {END}\n<!-- rulepack:begin other -->\n{BEGIN} trailing\n"
    assert find_block(text, BEGIN, END, "f") is None
    new, separator = upsert(text)
    assert new.startswith(text)
    assert remove(new, separator) == text


def test_marker_lines_inside_the_body_cannot_close_the_block() -> None:
    body = f"before\n{END}\n{BEGIN}\nafter\n"
    text, separator = upsert("mine\n", body)
    lines = text.split("\n")
    assert lines.count(BEGIN) == 1
    assert lines.count(END) == 1
    span = find_block(text, BEGIN, END, "f")
    assert span is not None
    assert text[span.start : span.end].endswith(f"after\n{END}\n")
    # The block can be found, replaced and removed again.
    again, _ = upsert(text, body)
    assert again == text
    assert remove(text, separator) == "mine\n"


def test_marker_like_lines_inside_the_body_are_kept() -> None:
    body = f"  {END}\n<!-- rulepack:end other -->\n# rulepack:end x\n"
    text, _ = upsert("", body)
    assert block_body(text, BEGIN, END, "f") == body


def test_block_body_reads_back_lf_and_crlf() -> None:
    lf, _ = upsert("mine\n")
    crlf, _ = upsert("mine\r\n")
    assert block_body(lf, BEGIN, END, "f") == BODY
    assert block_body(crlf, BEGIN, END, "f") == BODY
    assert block_body("mine\n", BEGIN, END, "f") is None


def test_crlf_block_is_found_and_replaced_in_place() -> None:
    text, _ = upsert("mine\r\n")
    replaced, _ = upsert(text, "other\n")
    assert replaced == f"mine\r\n\r\n{BEGIN}\r\nother\r\n{END}\r\n"


def test_newline_of_follows_the_majority() -> None:
    assert newline_of("") == "\n"
    assert newline_of("a\nb\n") == "\n"
    assert newline_of("a\r\nb\r\n") == "\r\n"
    assert newline_of("a\r\nb\r\nc\n") == "\r\n"
    assert newline_of("a\r\nb\nc\n") == "\n"
