// SubRip (.srt) and WebVTT (.vtt): a strict line parser (both are line formats with a spec; no library in
// Debian parses them), and the writer.
//
// Everything but the cue text is copied byte for byte: cue numbers and identifiers, timing lines with their
// settings, the WEBVTT header, NOTE, STYLE and REGION blocks, blank lines, line endings (LF or CR LF).
// Cue text is a flow of blocks (BlockKind::kCues, keep_order): consecutive cues are one block until a cue
// ends a sentence (its text ends in . ! ? … or one of them followed by closing quotes or brackets); the next
// cue starts a new block. So a sentence that runs over several cues is translated as one and split back over
// them, while a film is many blocks (a streamed translation reports progress per block). Inside a block,
// cue boundaries and the line breaks inside a cue are atoms whose order is kept, placed by the alignment or
// the proportional fallback (translate_blocks.h). Tags in
// cue text (<i>, <b>, <c.x>, <v Name>, WebVTT timestamps, SubRip's {\an8}) are atoms copied as they are;
// WebVTT's &amp; &lt; &gt; &nbsp; &lrm; &rlm; are decoded for the model and escaped again on output.
// Known limit: a cue whose share of a sentence's translation rounds to no word comes out empty.
//
// Errors (InvalidArgument, with the line number): a SubRip cue number without a timing line, a timing line
// that is not "HH:MM:SS,mmm --> HH:MM:SS,mmm" (WebVTT: "[HH:]MM:SS.mmm --> ..."), a WebVTT file without
// the "WEBVTT" line, a WebVTT block that is neither a cue nor NOTE/STYLE/REGION.
// Thread-safety: no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "markup/document.h"
#include "util/status.h"

namespace dolmetsch::markup {

class SubtitleDocument {
 public:
  static StatusOr<SubtitleDocument> Parse(std::string_view input, bool webvtt);
  // The blocks of the cue flow, in order (none when the file has no cue).
  const std::vector<Block>& blocks() const { return blocks_; }
  std::size_t cue_count() const { return cue_count_; }
  // Writes the file with the translated blocks (as TranslateBlocks returned them for blocks()).
  StatusOr<std::string> Write(const std::vector<TranslatedBlock>& translated) const;

 private:
  struct Piece {
    std::string verbatim;  // copied
    int cue = -1;          // >= 0: the text of this cue goes here (before `verbatim`)
  };
  enum class AtomType { kTag, kLineBreak, kCueBoundary };
  bool webvtt_ = false;
  std::vector<Piece> pieces_;
  std::vector<std::string> cue_line_endings_;
  std::vector<std::pair<AtomType, std::string>> atoms_;  // by span id
  std::vector<Block> blocks_;
  std::vector<std::size_t> block_first_cue_;  // by block: the cue its text starts in
  std::size_t cue_count_ = 0;
};

}  // namespace dolmetsch::markup
