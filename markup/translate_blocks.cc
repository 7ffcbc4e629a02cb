#include "markup/translate_blocks.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "text/unicode.h"

namespace dolmetsch::markup {
namespace {

using text::DecodeUtf8;
using text::IsSpace;

struct Range {
  std::size_t begin = 0, end = 0;
};

// Whitespace-separated words of text[lo, hi), as offsets relative to lo.
std::vector<Range> Words(std::string_view text, std::size_t lo, std::size_t hi) {
  std::vector<Range> words;
  std::size_t i = lo;
  bool in_word = false;
  std::size_t start = 0;
  while (i < hi) {
    const auto c = DecodeUtf8(text, i);
    const std::size_t len = std::max<std::size_t>(1, std::min(c.len, hi - i));
    if (IsSpace(c.cp)) {
      if (in_word) words.push_back({start - lo, i - lo});
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      start = i;
    }
    i += len;
  }
  if (in_word) words.push_back({start - lo, hi - lo});
  return words;
}

// Position `p` (relative) as a fractional word index: words ending at or before p, plus the part of the
// word p is in.
double FractionalWordIndex(const std::vector<Range>& words, std::size_t p) {
  double index = 0;
  for (const Range& w : words) {
    if (w.end <= p) {
      index += 1;
    } else {
      if (w.begin < p) index += static_cast<double>(p - w.begin) / static_cast<double>(w.end - w.begin);
      break;
    }
  }
  return index;
}

bool IsUrlStart(std::string_view token) {
  auto starts = [&](std::string_view prefix) {
    if (token.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(token[i])) != prefix[i]) return false;
    return true;
  };
  return starts("http://") || starts("https://") || starts("ftp://") || starts("www.");
}

bool IsEmailAddress(std::string_view token) {
  const std::size_t at = token.find('@');
  if (at == std::string_view::npos || at == 0 || token.find('@', at + 1) != std::string_view::npos)
    return false;
  auto local_ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' || c == '+' ||
           c == '-';
  };
  auto domain_ok = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; };
  for (std::size_t i = 0; i < at; ++i)
    if (!local_ok(token[i])) return false;
  const std::string_view domain = token.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  return std::all_of(domain.begin(), domain.end(), domain_ok);
}

// Trims what commonly wraps an address in prose: "(", "<", quotes before; ".,;:!?)>" and quotes after.
Range TrimAddressToken(std::string_view text, Range r) {
  auto opener = [](char c) { return c == '(' || c == '<' || c == '"' || c == '\'' || c == '['; };
  auto closer = [](char c) {
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' || c == '>' ||
           c == '"' || c == '\'' || c == ']';
  };
  while (r.begin < r.end && opener(text[r.begin])) ++r.begin;
  while (r.end > r.begin && closer(text[r.end - 1])) --r.end;
  return r;
}

std::size_t Shift(std::size_t p, std::size_t x, std::size_t y) {
  if (p <= x) return p;
  if (p >= y) return p - (y - x);
  return x;
}

// Children of each span (index n: the root), in `spans` order.
std::vector<std::vector<int>> ChildLists(const Block& block) {
  std::vector<std::vector<int>> children(block.spans.size() + 1);
  for (std::size_t i = 0; i < block.spans.size(); ++i) {
    const int parent = block.spans[i].parent;
    children[parent < 0 ? block.spans.size() : static_cast<std::size_t>(parent)].push_back(
        static_cast<int>(i));
  }
  return children;
}

// Restores the invariants after the spans were moved: top-down, each child clamped into its parent, siblings
// (in target order, or source order with keep_order) made disjoint by moving the later one's start.
void RepairNesting(Block* block) {
  auto& spans = block->spans;
  const auto children = ChildLists(*block);
  auto fix_children = [&](std::size_t lo, std::size_t hi, std::vector<int> kids) {
    for (int k : kids) {
      auto& s = spans[k];
      s.begin = std::clamp(s.begin, lo, hi);
      s.end = std::clamp(s.end, s.begin, hi);
      if (s.atom) s.end = s.begin;
    }
    if (!block->keep_order) {
      std::stable_sort(kids.begin(), kids.end(),
                       [&](int a, int b) { return spans[a].begin < spans[b].begin; });
    }
    std::size_t cursor = lo;
    for (int k : kids) {
      auto& s = spans[k];
      s.begin = std::max(s.begin, cursor);
      s.end = s.atom ? s.begin : std::max(s.end, s.begin);
      cursor = s.end;
    }
  };
  fix_children(0, block->text.size(), children[spans.size()]);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (!children[i].empty()) fix_children(spans[i].begin, spans[i].end, children[i]);
  }
}

void TrimSpanWhitespace(Block* block) {
  const std::string& t = block->text;
  for (auto& s : block->spans) {
    if (s.atom) continue;
    std::size_t b = s.begin, e = s.end;
    while (b < e && (t[b] == ' ' || t[b] == '\t' || t[b] == '\n')) ++b;
    while (e > b && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\n')) --e;
    if (b < e) {
      s.begin = b;
      s.end = e;
    }
  }
}

// One sentence of a block, where it is in the source and in the translation.
struct Sentence {
  std::size_t sb = 0, se = 0;  // source range in the block's text
  std::size_t tb = 0, te = 0;  // target range in the translated text
  bool translated = false;
  SentenceTranslation translation;
  std::vector<Range> source_words, target_words;
};

class Projector {
 public:
  Projector(const Block& source, std::vector<Sentence>& sentences, const std::string& target)
      : source_(source), sentences_(sentences), target_(target) {
    for (auto& s : sentences_) {
      if (!s.translated) continue;
      s.source_words = Words(source_.text, s.sb, s.se);
      s.target_words = Words(target_, s.tb, s.te);
    }
  }

  Range MapSpan(std::size_t b, std::size_t e) const {
    if (b >= e) {
      const std::size_t p = MapAtom(b);
      return {p, p};
    }
    int first = -1, last = -1;
    for (std::size_t k = 0; k < sentences_.size(); ++k) {
      if (sentences_[k].sb < e && sentences_[k].se > b) {
        if (first < 0) first = static_cast<int>(k);
        last = static_cast<int>(k);
      }
    }
    if (first < 0) return {MapGap(b), MapGap(e)};
    const Sentence& f = sentences_[first];
    const Sentence& l = sentences_[last];
    Range r;
    r.begin = b < f.sb ? MapGap(b) : InSentence(f, b, std::min(e, f.se)).begin;
    r.end = e > l.se ? MapGap(e) : InSentence(l, std::max(b, l.sb), e).end;
    if (r.end < r.begin) r.end = r.begin;
    return r;
  }

  std::size_t MapAtom(std::size_t p) const {
    for (const Sentence& s : sentences_) {
      if (p < s.sb || p > s.se) continue;
      if (p == s.sb) return s.tb;
      if (p == s.se) return s.te;
      return AtomInSentence(s, p);
    }
    return MapGap(p);
  }

 private:
  // A position between sentences: the gaps are copied, so it keeps its offset from the previous sentence.
  std::size_t MapGap(std::size_t p) const {
    std::size_t source_anchor = 0, target_anchor = 0;
    for (const Sentence& s : sentences_) {
      if (s.se > p) break;
      source_anchor = s.se;
      target_anchor = s.te;
    }
    return std::min(target_anchor + (p - source_anchor), target_.size());
  }

  std::size_t WordStartAt(const Sentence& s, std::size_t rel) const {
    for (const Range& w : s.target_words)
      if (w.begin <= rel && rel < w.end) return w.begin;
    return rel;
  }
  std::size_t WordEndAt(const Sentence& s, std::size_t rel) const {
    for (const Range& w : s.target_words)
      if (w.begin < rel && rel <= w.end) return w.end;
    return rel;
  }

  Range InSentence(const Sentence& s, std::size_t lo, std::size_t hi) const {
    if (lo <= s.sb && hi >= s.se) return {s.tb, s.te};
    if (!s.translated) return {s.tb + (lo - s.sb), s.tb + (hi - s.sb)};
    const std::size_t rlo = lo - s.sb, rhi = hi - s.sb;
    const auto& alignment = s.translation.alignment;
    if (!alignment.empty()) {
      std::size_t b = SIZE_MAX, e = 0;
      for (const AlignedPiece& a : alignment) {
        if (a.source_begin < rhi && a.source_end > rlo) {
          b = std::min(b, a.target_begin);
          e = std::max(e, a.target_end);
        }
      }
      if (b < e) return {s.tb + WordStartAt(s, b), s.tb + WordEndAt(s, e)};
    }
    const auto& sw = s.source_words;
    const auto& tw = s.target_words;
    if (sw.empty() || tw.empty()) return {s.tb, s.tb};
    const double scale = static_cast<double>(tw.size()) / static_cast<double>(sw.size());
    const std::size_t kb =
        std::min<std::size_t>(tw.size(), std::lround(FractionalWordIndex(sw, rlo) * scale));
    const std::size_t ke =
        std::min<std::size_t>(tw.size(), std::lround(FractionalWordIndex(sw, rhi) * scale));
    if (ke > kb) return {s.tb + tw[kb].begin, s.tb + tw[ke - 1].end};
    // The span shrank to nothing: it had text, so it keeps the word at its place.
    const std::size_t k = std::min(kb, tw.size() - 1);
    return {s.tb + tw[k].begin, s.tb + tw[k].end};
  }

  std::size_t AtomInSentence(const Sentence& s, std::size_t p) const {
    if (!s.translated) return s.tb + (p - s.sb);
    const std::size_t rel = p - s.sb;
    const auto& alignment = s.translation.alignment;
    if (!alignment.empty()) {
      std::size_t best_source_end = 0, target = 0;
      bool found = false;
      for (const AlignedPiece& a : alignment) {
        if (a.source_end > rel) continue;
        if (!found || a.source_end > best_source_end ||
            (a.source_end == best_source_end && a.target_end > target)) {
          best_source_end = a.source_end;
          target = a.target_end;
          found = true;
        }
      }
      return s.tb + (found ? WordEndAt(s, target) : 0);
    }
    const auto& sw = s.source_words;
    const auto& tw = s.target_words;
    if (sw.empty() || tw.empty()) return s.tb;
    const double scale = static_cast<double>(tw.size()) / static_cast<double>(sw.size());
    const std::size_t k = std::min<std::size_t>(tw.size(), std::lround(FractionalWordIndex(sw, rel) * scale));
    // An atom glued to the end of a word ("Zeile</i> mit") stays at the end of a word.
    const std::string& src = source_.text;
    const bool after_word = p > 0 && src[p - 1] != ' ' && (p >= src.size() || src[p] == ' ');
    if (after_word) return k > 0 ? s.tb + tw[k - 1].end : s.tb;
    return k < tw.size() ? s.tb + tw[k].begin : s.te;
  }

  const Block& source_;
  std::vector<Sentence>& sentences_;
  const std::string& target_;
};

// "a <atom> b" holds two spaces in the text; keep one and remember both on the atom (see document.h).
void NormalizeAtomSpacing(Block* block) {
  for (std::size_t i = 0; i < block->spans.size(); ++i) {
    InlineSpan& a = block->spans[i];
    if (!a.atom || a.kind == SpanKind::kLineBreak) continue;
    const std::string& t = block->text;
    const std::size_t p = a.begin;
    a.space_before = p > 0 && t[p - 1] == ' ';
    a.space_after = p < t.size() && t[p] == ' ';
    if (a.space_before && a.space_after) {
      block->text.erase(p, 1);
      for (auto& s : block->spans) {
        s.begin = Shift(s.begin, p, p + 1);
        s.end = Shift(s.end, p, p + 1);
      }
    }
  }
}

}  // namespace

bool HasLetter(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = DecodeUtf8(text, i);
    if (text::IsLetter(c.cp)) return true;
    i += std::max<std::size_t>(1, c.len);
  }
  return false;
}

void ProtectUrlsAndEmails(Block* block) {
  const std::vector<Range> words = Words(block->text, 0, block->text.size());
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    const Range token = TrimAddressToken(block->text, *it);
    if (token.begin >= token.end) continue;
    const std::string_view t = std::string_view(block->text).substr(token.begin, token.end - token.begin);
    if (!IsUrlStart(t) && !IsEmailAddress(t)) continue;
    // Only an address that no span starts or ends inside of (a link around it is fine).
    bool cut = false;
    int parent = -1;
    for (std::size_t i = 0; i < block->spans.size(); ++i) {
      const auto& s = block->spans[i];
      auto inside = [&](std::size_t p) { return p > token.begin && p < token.end; };
      if (inside(s.begin) || inside(s.end)) cut = true;
      if (!s.atom && s.begin <= token.begin && token.end <= s.end &&
          (parent < 0 || block->spans[parent].begin <= s.begin))
        parent = static_cast<int>(i);
    }
    if (cut) continue;
    // Take the address and the whitespace after it (or before it, at the end of the text) with it.
    std::size_t x = token.begin, y = token.end;
    const std::string& text = block->text;
    if (y < text.size() && it->end == token.end) {
      while (y < text.size() && (text[y] == ' ' || text[y] == '\t')) ++y;
    } else if (it->end == token.end && y == text.size()) {
      while (x > 0 && (text[x - 1] == ' ' || text[x - 1] == '\t')) --x;
    }
    // A span boundary inside the taken whitespace would be moved onto x: only take the address then.
    for (const auto& s : block->spans) {
      if ((s.begin > x && s.begin < token.begin) || (s.end > token.end && s.end < y) ||
          (s.begin > token.end && s.begin < y) || (s.end > x && s.end < token.begin)) {
        x = token.begin;
        y = token.end;
        break;
      }
    }
    InlineSpan atom;
    atom.kind = SpanKind::kVerbatim;
    atom.atom = true;
    atom.id = -1;
    atom.parent = parent;
    atom.verbatim = text.substr(x, y - x);
    // The space before the address stays in the text; should the projection put the atom right after a
    // word of the translation, the space goes with it (RenderBlock).
    atom.space_before = x > 0 && (text[x - 1] == ' ' || text[x - 1] == '\t');
    for (auto& s : block->spans) {
      s.begin = Shift(s.begin, x, y);
      s.end = Shift(s.end, x, y);
    }
    atom.begin = atom.end = x;
    block->text.erase(x, y - x);
    block->spans.push_back(std::move(atom));
  }
}

Status ValidateBlock(const Block& block) {
  const auto& spans = block.spans;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    const std::string where = "span " + std::to_string(i);
    if (s.begin > s.end || s.end > block.text.size())
      return Status::InvalidArgument(where + ": range outside the block's text");
    if (s.atom && s.begin != s.end) return Status::InvalidArgument(where + ": an atom must be empty");
    if (s.parent >= static_cast<int>(i)) return Status::InvalidArgument(where + ": parent must come first");
    if (s.parent >= 0) {
      const auto& p = spans[s.parent];
      if (p.atom) return Status::InvalidArgument(where + ": its parent is an atom");
      if (s.begin < p.begin || s.end > p.end) return Status::InvalidArgument(where + ": outside its parent");
    }
  }
  const auto children = ChildLists(block);
  for (const auto& kids : children) {
    std::vector<int> sorted = kids;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](int a, int b) { return spans[a].begin < spans[b].begin; });
    for (std::size_t k = 1; k < sorted.size(); ++k) {
      if (spans[sorted[k]].begin < spans[sorted[k - 1]].end)
        return Status::InvalidArgument("spans " + std::to_string(sorted[k - 1]) + " and " +
                                       std::to_string(sorted[k]) + " overlap");
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<TranslatedBlock>> TranslateBlocks(const std::vector<Block>& blocks,
                                                       const TranslateFn& translate,
                                                       const TranslateBlocksOptions& options,
                                                       TranslateBlocksStats* stats) {
  TranslateBlocksStats local;
  TranslateBlocksStats& st = stats ? *stats : local;
  st.blocks += blocks.size();

  std::vector<Block> sources(blocks);
  std::vector<std::vector<Sentence>> sentences(blocks.size());
  std::vector<std::pair<std::size_t, std::size_t>> pending;  // (block, sentence) to translate
  for (std::size_t b = 0; b < sources.size(); ++b) {
    Status valid = ValidateBlock(sources[b]);
    if (!valid.ok()) return valid.WithContext("block " + std::to_string(b));
    NormalizeAtomSpacing(&sources[b]);
    if (options.protect_urls_and_emails) ProtectUrlsAndEmails(&sources[b]);
    for (const text::Span& span : text::SegmentSentences(sources[b].text, options.segmenter)) {
      Sentence s;
      s.sb = span.begin;
      s.se = span.end;
      s.translated = HasLetter(std::string_view(sources[b].text).substr(span.begin, span.size()));
      if (s.translated) pending.emplace_back(b, sentences[b].size());
      sentences[b].push_back(std::move(s));
    }
    st.sentences += sentences[b].size();
    if (options.on_block) {
      std::vector<std::string> to_translate;
      for (const Sentence& s : sentences[b]) {
        if (s.translated) to_translate.push_back(sources[b].text.substr(s.sb, s.se - s.sb));
      }
      options.on_block(blocks[b], to_translate);
    }
  }

  const std::size_t per_call = std::max<std::size_t>(1, options.max_sentences_per_call);
  for (std::size_t start = 0; start < pending.size(); start += per_call) {
    const std::size_t stop = std::min(pending.size(), start + per_call);
    std::vector<std::string> batch;
    for (std::size_t i = start; i < stop; ++i) {
      const auto [b, k] = pending[i];
      const Sentence& s = sentences[b][k];
      batch.push_back(sources[b].text.substr(s.sb, s.se - s.sb));
    }
    ++st.calls;
    auto translated = translate(batch);
    if (!translated.ok()) return translated.status();
    if (translated->size() != batch.size())
      return Status::Internal("the translator returned " + std::to_string(translated->size()) +
                              " translations for " + std::to_string(batch.size()) + " sentences");
    for (std::size_t i = start; i < stop; ++i) {
      const auto [b, k] = pending[i];
      SentenceTranslation& t = (*translated)[i - start];
      const std::size_t source_size = batch[i - start].size();
      for (const AlignedPiece& a : t.alignment) {
        if (a.target_begin > a.target_end || a.target_end > t.text.size() || a.source_begin > a.source_end ||
            a.source_end > source_size)
          return Status::Internal("the translator's alignment points outside sentence " + std::to_string(i));
      }
      if (!t.alignment.empty()) ++st.aligned_sentences;
      sentences[b][k].translation = std::move(t);
    }
  }
  st.translated_sentences += pending.size();
  st.copied_sentences += st.sentences - pending.size();

  std::vector<TranslatedBlock> out;
  out.reserve(sources.size());
  for (std::size_t b = 0; b < sources.size(); ++b) {
    const Block& src = sources[b];
    TranslatedBlock t;
    t.kind = src.kind;
    t.keep_order = src.keep_order;
    std::size_t cursor = 0;
    for (Sentence& s : sentences[b]) {
      t.text.append(src.text, cursor, s.sb - cursor);
      s.tb = t.text.size();
      if (s.translated) {
        t.text += s.translation.text;
      } else {
        t.text.append(src.text, s.sb, s.se - s.sb);
      }
      s.te = t.text.size();
      cursor = s.se;
    }
    t.text.append(src.text, cursor, std::string::npos);
    Projector projector(src, sentences[b], t.text);
    t.spans = src.spans;
    for (auto& span : t.spans) {
      const Range r =
          span.atom ? Range{projector.MapAtom(span.begin), 0} : projector.MapSpan(span.begin, span.end);
      span.begin = r.begin;
      span.end = span.atom ? r.begin : r.end;
    }
    TrimSpanWhitespace(&t);
    RepairNesting(&t);
    out.push_back(std::move(t));
  }
  return out;
}

std::string PlainBlockText(const Block& block) {
  std::string out;
  RenderCallbacks callbacks;
  callbacks.text = [&](std::string_view text) { out.append(text); };
  callbacks.atom = [&](const InlineSpan& atom) {
    if (atom.kind == SpanKind::kLineBreak) {
      out += block.kind == BlockKind::kCues ? ' ' : '\n';
    } else if (atom.id == -1) {
      out += atom.verbatim;
    }
  };
  RenderBlock(block, callbacks);
  // A dropped atom leaves the spaces on both sides of it.
  out.erase(std::unique(out.begin(), out.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
            out.end());
  const std::size_t begin = out.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return std::string();
  const std::size_t end = out.find_last_not_of(" \t\r\n");
  return out.substr(begin, end + 1 - begin);
}

void RenderBlock(const Block& block, const RenderCallbacks& callbacks) {
  const auto children = ChildLists(block);
  std::string pending;  // the last text piece, held back so a line break can trim its trailing spaces
  bool eat_leading_spaces = false;
  bool space_owed = false;  // an atom with space_after was written; the next text starts with a space
  bool wrote_text = false, last_was_space = false;
  auto flush = [&] {
    if (!pending.empty()) {
      wrote_text = true;
      last_was_space = pending.back() == ' ';
    }
    if (!pending.empty() && callbacks.text) callbacks.text(pending);
    pending.clear();
  };
  auto emit_text = [&](std::size_t lo, std::size_t hi) {
    if (lo >= hi) return;
    std::string_view piece(block.text.data() + lo, hi - lo);
    if (eat_leading_spaces) {
      while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
      if (piece.empty()) return;
      eat_leading_spaces = false;
    }
    if (space_owed && piece.front() != ' ') pending.push_back(' ');
    space_owed = false;
    pending.append(piece);
  };
  auto render = [&](auto&& self, std::size_t lo, std::size_t hi, std::vector<int> kids) -> void {
    std::stable_sort(kids.begin(), kids.end(),
                     [&](int a, int b) { return block.spans[a].begin < block.spans[b].begin; });
    std::size_t cursor = lo;
    for (int k : kids) {
      const InlineSpan& s = block.spans[k];
      emit_text(cursor, std::max(cursor, s.begin));
      if (s.atom) {
        if (s.kind == SpanKind::kLineBreak) {
          while (!pending.empty() && pending.back() == ' ') pending.pop_back();
          eat_leading_spaces = true;
        }
        if (s.space_before && (pending.empty() ? wrote_text && !last_was_space : pending.back() != ' '))
          pending.push_back(' ');
        flush();
        if (callbacks.atom) callbacks.atom(s);
        space_owed = s.space_after;
      } else {
        flush();
        if (callbacks.open) callbacks.open(s);
        self(self, s.begin, s.end, children[k]);
        flush();
        if (callbacks.close) callbacks.close(s);
      }
      cursor = std::max(cursor, s.end);
    }
    emit_text(cursor, hi);
  };
  render(render, 0, block.text.size(), children[block.spans.size()]);
  flush();
}

}  // namespace dolmetsch::markup
