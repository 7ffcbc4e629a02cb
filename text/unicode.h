// Small UTF-8 and character-class helpers for the segmenter and the document pipeline.
//
// Contract: every function accepts arbitrary bytes. A byte that does not start a well-formed UTF-8
// sequence (stray continuation byte, overlong form, surrogate, truncated sequence, > U+10FFFF) decodes as
// U+FFFD with length 1, so a scan always advances and offsets stay byte offsets into the source.
// The character classes cover what German text (and the Latin, Greek and Cyrillic scripts it quotes) needs;
// they are not a full Unicode database. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dolmetsch::text {

struct DecodedChar {
  char32_t cp = 0;      // the code point (U+FFFD for a malformed byte)
  std::size_t len = 0;  // bytes consumed, >= 1 unless at the end of the text
};

// Decodes the character starting at byte `pos` (pos < text.size()).
DecodedChar DecodeUtf8(std::string_view text, std::size_t pos);
// The start of the character that ends at byte `pos` (exclusive), pos > 0. Malformed bytes are
// characters of their own, consistent with DecodeUtf8.
std::size_t PrevCharStart(std::string_view text, std::size_t pos);
// Appends the UTF-8 form of `cp`.
void AppendUtf8(char32_t cp, std::string* out);

// Python's str.isspace() set (so our trimming matches the segmentation scorer's), including U+00A0.
bool IsSpace(char32_t cp);
// U+000A, U+000B, U+000C, U+000D, U+0085, U+2028, U+2029 (CR LF counts as one break; see CountLineBreaks).
bool IsLineBreak(char32_t cp);
bool IsUpper(char32_t cp);
bool IsLower(char32_t cp);
bool IsLetter(char32_t cp);  // upper, lower, or another alphabetic script (CJK, Arabic, ...)
bool IsDigit(char32_t cp);   // ASCII digits only
// Pictographs, dingbats, flags, skin tones, variation selector 16, zero-width joiner, keycap.
bool IsEmoji(char32_t cp);
// Superscript digits, used as footnote marks ("Satz.¹").
bool IsSuperscriptDigit(char32_t cp);

// Number of line breaks in a whitespace run ("\r\n" counts once; U+2029 counts as two: a paragraph).
int CountLineBreaks(std::string_view whitespace);

// Returns `text` with leading/trailing whitespace removed and each inner whitespace run replaced by one
// ASCII space. Malformed bytes are kept as they are.
std::string CollapseWhitespace(std::string_view text);

// Returns `text` with every malformed byte replaced by U+FFFD (for JSON output).
std::string ToValidUtf8(std::string_view text);

}  // namespace dolmetsch::text
