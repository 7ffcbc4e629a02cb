// The markup model: a document as a sequence of translation blocks with inline spans.
//
// A format parser (html.h, markdown.h, subtitles.h) turns its file into Blocks; TranslateBlocks
// (translate_blocks.h) translates them sentence by sentence and carries each span onto the translation; the
// format writer puts the translated blocks back where the source blocks were, keeping every other byte.
//
// A Block is the unit a reader sees as one run of prose: a paragraph, a heading, a list item, a table cell,
// an attribute value (alt, title), or for subtitles the flow of consecutive cues. Its `text` is exactly
// what the model sees; everything the model must not see (code, translate="no", URLs, e-mail addresses,
// tags of the subtitle formats) is not in `text` at all but an *atom*: a span that sits between two
// characters and that the writer renders verbatim. Any other span (bold, italic, link, strikethrough, an
// HTML element) wraps the text it covers. Spans are well nested: a child lies within its parent, and
// siblings do not overlap.
//
// Nesting is explicit (`parent`), so an atom at the edge of a span is inside it or not as the source says;
// a parent always comes before its children in `spans`. `id` is the writer's own handle (an index into its
// list of elements); the model never interprets it.
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dolmetsch::markup {

enum class BlockKind { kParagraph, kHeading, kListItem, kTableCell, kAttribute, kCues, kTitle };

enum class SpanKind {
  kBold,
  kItalic,
  kLink,
  kCode,       // inline code: always an atom (kept verbatim)
  kLineBreak,  // an atom; the writer may let it replace a space of the translation
  kVerbatim,   // any other atom: translate="no", URLs, e-mail addresses, images, inline HTML, cue boundaries
  kOther,      // any other wrapping element (HTML span, sub, sup, mark, ...)
};

struct InlineSpan {
  SpanKind kind = SpanKind::kOther;
  std::size_t begin = 0;  // byte offsets into Block::text; an atom has begin == end
  std::size_t end = 0;
  bool atom = false;     // sits between two characters and has no text of the block inside
  int parent = -1;       // index of the enclosing span in Block::spans (which comes earlier), -1: none
  int id = 0;            // the writer's handle; -1: an atom made by TranslateBlocks, rendered as `verbatim`
  std::string verbatim;  // for id == -1: the text that was taken out of the block (a URL, an address)
  // For atoms: the source had whitespace before / after it. TranslateBlocks sets these (and removes the
  // doubled space) so that "und <code>x</code> darin" keeps both spaces however the atom moves.
  bool space_before = false;
  bool space_after = false;
};

struct Block {
  BlockKind kind = BlockKind::kParagraph;
  std::string text;
  std::vector<InlineSpan> spans;
  // True where the order of atoms must survive the translation (subtitle cue boundaries and line breaks):
  // the projection then keeps siblings in source order instead of target order.
  bool keep_order = false;
};

// A block after translation: `text` is the translation, `spans` are the source spans (same order, same
// kinds and ids) with begin/end moved onto the translation, still well nested.
using TranslatedBlock = Block;

}  // namespace dolmetsch::markup
