// TranslateBlocks: translates the blocks of a document sentence by sentence and carries their inline spans
// onto the translation. Format-independent; every parser in markup/ ends here.
//
// Per block: URLs (scheme:// or www.) and e-mail addresses in the text are taken out of it and become
// atoms (the model never sees them; see ProtectUrlsAndEmails). The text is segmented into sentences
// (text/sentence_segmenter.h) across span boundaries, so a sentence with a bold word is one sentence; a
// sentence without any letter (numbers, symbols) is copied, not translated. The translation of the block is
// the translated sentences with the whitespace between them copied.
//
// Spans are carried over ("projection"), each by its source byte range:
//   - with an alignment for the sentence (SentenceTranslation::alignment): a span covers the target pieces
//     aligned to the source pieces it overlaps (from the first to the last of them); an atom goes after the
//     target piece aligned to the source piece just before it. A span covering a whole sentence covers its
//     whole translation.
//   - without one (the fallback; deterministic): proportional by words. A position inside a sentence is a
//     fractional word index (words before it, plus the fraction of the word it is in, by bytes); it is
//     scaled by target words / source words, rounded to the nearest word boundary, and a span that had text
//     keeps at least one word.
// Then spans are trimmed of whitespace at their edges and made well nested again: a child is clamped into its
// parent, and siblings (in target order, or in source order when Block::keep_order) are made disjoint by
// moving the later one's start. No text is ever dropped by this: spans only move.
//
// Thread-safety: no shared state; `translate` is called from the calling thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "markup/document.h"
#include "text/sentence_segmenter.h"
#include "util/status.h"

namespace dolmetsch::markup {

// A piece of the translation and the source piece it was aligned to (byte ranges into the translated
// sentence and into the source sentence). Engines align tokens; any tokenization works here.
struct AlignedPiece {
  std::size_t target_begin = 0, target_end = 0;
  std::size_t source_begin = 0, source_end = 0;
};

struct SentenceTranslation {
  std::string text;
  std::vector<AlignedPiece> alignment;  // optional; empty: the proportional fallback
};

// Translates sentences; must return exactly one translation per sentence, in order.
using TranslateFn =
    std::function<StatusOr<std::vector<SentenceTranslation>>(const std::vector<std::string>& sentences)>;

struct TranslateBlocksOptions {
  text::SegmenterOptions segmenter;
  std::size_t max_sentences_per_call = 256;  // sentences handed to `translate` at once
  bool protect_urls_and_emails = true;
  // Optional: called for every block, in order, once it is segmented and before any sentence is
  // translated, with the block as given and its sentences that go to `translate` (as `translate` will get
  // them; empty when none has a letter). For progress reporting and plain-text extraction.
  std::function<void(const Block& block, const std::vector<std::string>& sentences)> on_block;
};

struct TranslateBlocksStats {
  std::size_t blocks = 0;
  std::size_t sentences = 0;
  std::size_t translated_sentences = 0;  // sent to the model
  std::size_t copied_sentences = 0;      // without letters, copied
  std::size_t calls = 0;                 // calls of `translate`
  std::size_t aligned_sentences = 0;     // sentences whose spans were placed by an alignment
};

// Returns one translated block per input block (same kinds, same spans in the same order, moved).
// Errors: a block that is not well nested (InvalidArgument), `translate` failing (its Status), `translate`
// returning the wrong number of sentences or an alignment outside the sentences (Internal).
StatusOr<std::vector<TranslatedBlock>> TranslateBlocks(const std::vector<Block>& blocks,
                                                       const TranslateFn& translate,
                                                       const TranslateBlocksOptions& options = {},
                                                       TranslateBlocksStats* stats = nullptr);

// Takes URLs and e-mail addresses out of block->text and adds them as atoms (id -1, `verbatim` holding the
// address and the whitespace removed with it). Trailing sentence punctuation stays in the text.
void ProtectUrlsAndEmails(Block* block);

// Checks the invariants of document.h: offsets within the text on UTF-8 boundaries are not required, but
// begin <= end, atoms empty, parents earlier and enclosing, siblings disjoint.
Status ValidateBlock(const Block& block);

// Walks a (translated) block in order: text pieces, span opens and closes, atoms. A line-break atom eats
// the spaces right around it (the projection puts it on a word boundary of the translation).
struct RenderCallbacks {
  std::function<void(std::string_view text)> text;
  std::function<void(const InlineSpan& span)> open;
  std::function<void(const InlineSpan& span)> close;
  std::function<void(const InlineSpan& span)> atom;
};
void RenderBlock(const Block& block, const RenderCallbacks& callbacks);

// A block as plain text for reading (progress pieces, a file's text): the text of wrapping spans kept and
// the spans dropped; line-break atoms become "\n" (a space in cue flows, BlockKind::kCues); atoms that
// TranslateBlocks made (URLs, e-mail addresses: id -1) their verbatim text; other atoms (code, images,
// inline tags) are left out (runs of spaces around them become one); whitespace at both ends trimmed.
std::string PlainBlockText(const Block& block);

// True when `text` holds a letter (what decides whether a sentence goes to the model).
bool HasLetter(std::string_view text);

}  // namespace dolmetsch::markup
