#include "translator/document.h"

#include "text/sentence_segmenter.h"

namespace dolmetsch::translator {

SplitText SplitDocument(const std::string& text, size_t max_segment_bytes) {
  SplitText out;
  text::SegmenterOptions options;
  options.max_segment_bytes = max_segment_bytes;
  std::vector<text::Span> spans = text::SegmentSentences(text, options);
  size_t pos = 0;
  std::string gap;
  for (const text::Span& span : spans) {
    gap.append(text, pos, span.begin - pos);
    std::string_view sentence(text.data() + span.begin, span.size());
    size_t marker = text::ListMarkerLength(sentence);
    if (marker >= sentence.size()) marker = 0;
    gap.append(sentence.substr(0, marker));
    out.gaps.push_back(std::move(gap));
    gap.clear();
    out.sentences.emplace_back(sentence.substr(marker));
    pos = span.end;
  }
  gap.append(text, pos, std::string::npos);
  out.gaps.push_back(std::move(gap));
  return out;
}

std::string Join(const SplitText& split, const std::vector<std::string>& translations) {
  std::string out;
  for (size_t i = 0; i < split.sentences.size(); ++i) {
    out += split.gaps[i];
    if (i < translations.size()) out += translations[i];
  }
  out += split.gaps.back();
  return out;
}

}  // namespace dolmetsch::translator
