// HTML through gumbo: see formats.h for the contract. Two passes over the same tree: the first collects
// the blocks (keyed by the node that starts them), the second writes the output with their translations.
#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "markup/formats.h"
#include "util/utf8.h"

namespace dolmetsch::markup {
namespace {

bool TagIn(GumboTag tag, std::initializer_list<GumboTag> tags) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

// Elements whose content is copied as it is.
bool IsKeptTag(GumboTag t) {
  return TagIn(t, {GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE, GUMBO_TAG_PRE, GUMBO_TAG_TEMPLATE, GUMBO_TAG_TEXTAREA,
                   GUMBO_TAG_SVG, GUMBO_TAG_MATH, GUMBO_TAG_XMP, GUMBO_TAG_PLAINTEXT, GUMBO_TAG_IFRAME,
                   GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES, GUMBO_TAG_NOSCRIPT, GUMBO_TAG_CODE, GUMBO_TAG_KBD,
                   GUMBO_TAG_SAMP, GUMBO_TAG_VAR, GUMBO_TAG_OBJECT});
}

// Elements that sit inside a sentence.
bool IsInlineTag(GumboTag t) {
  return TagIn(
      t, {GUMBO_TAG_A,    GUMBO_TAG_ABBR,   GUMBO_TAG_B,    GUMBO_TAG_BDI,    GUMBO_TAG_BDO,  GUMBO_TAG_CITE,
          GUMBO_TAG_DATA, GUMBO_TAG_DFN,    GUMBO_TAG_EM,   GUMBO_TAG_I,      GUMBO_TAG_MARK, GUMBO_TAG_Q,
          GUMBO_TAG_S,    GUMBO_TAG_SMALL,  GUMBO_TAG_SPAN, GUMBO_TAG_STRONG, GUMBO_TAG_SUB,  GUMBO_TAG_SUP,
          GUMBO_TAG_TIME, GUMBO_TAG_U,      GUMBO_TAG_DEL,  GUMBO_TAG_INS,    GUMBO_TAG_FONT, GUMBO_TAG_BIG,
          GUMBO_TAG_TT,   GUMBO_TAG_STRIKE, GUMBO_TAG_BR,   GUMBO_TAG_IMG,    GUMBO_TAG_WBR,  GUMBO_TAG_CODE,
          GUMBO_TAG_KBD,  GUMBO_TAG_SAMP,   GUMBO_TAG_VAR,  GUMBO_TAG_LABEL});
}

// Start and end tags the parser may imply and that HTML lets us leave out.
bool IsOmittable(GumboTag t) {
  return TagIn(t, {GUMBO_TAG_HTML, GUMBO_TAG_HEAD, GUMBO_TAG_BODY, GUMBO_TAG_TBODY, GUMBO_TAG_COLGROUP});
}

bool IsVoid(GumboTag t) {
  return TagIn(t, {GUMBO_TAG_AREA, GUMBO_TAG_BASE, GUMBO_TAG_BR, GUMBO_TAG_COL, GUMBO_TAG_EMBED, GUMBO_TAG_HR,
                   GUMBO_TAG_IMG, GUMBO_TAG_INPUT, GUMBO_TAG_LINK, GUMBO_TAG_META, GUMBO_TAG_PARAM,
                   GUMBO_TAG_SOURCE, GUMBO_TAG_TRACK, GUMBO_TAG_WBR, GUMBO_TAG_KEYGEN});
}

bool IsTranslatedAttribute(const char* name) {
  return !std::strcmp(name, "title") || !std::strcmp(name, "alt") || !std::strcmp(name, "placeholder") ||
         !std::strcmp(name, "aria-label");
}

bool HasNoTranslateMark(const GumboElement& e) {
  const GumboAttribute* translate = gumbo_get_attribute(&e.attributes, "translate");
  if (translate && !strcasecmp(translate->value, "no")) return true;
  const GumboAttribute* cls = gumbo_get_attribute(&e.attributes, "class");
  if (!cls) return false;
  std::string_view v(cls->value);
  std::size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    std::size_t j = i;
    while (j < v.size() && !std::isspace(static_cast<unsigned char>(v[j]))) ++j;
    if (v.substr(i, j - i) == "notranslate") return true;
    i = j;
  }
  return false;
}

std::string_view Piece(const GumboStringPiece& p) { return {p.data, p.length}; }

void AppendEscaped(std::string_view text, bool attribute, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        if (attribute) {
          *out += "&quot;";
          break;
        }
        [[fallthrough]];
      default:
        out->push_back(c);
    }
  }
}

// A cheap upper estimate of the nesting depth, made before parsing: gumbo's time grows with depth times
// tags, so a file of 100 000 nested divs would take hours. Void elements, self-closing tags, comments and
// elements that close their own kind (p, li, td, ...) do not count.
std::size_t EstimateDepth(std::string_view s) {
  static const char* const kNotDeepening[] = {
      "area",   "base",     "br",    "col",    "embed", "hr", "img", "input", "link",    "meta", "param",
      "source", "track",    "wbr",   "keygen", "p",     "li", "dt",  "dd",    "tr",      "td",   "th",
      "option", "optgroup", "thead", "tbody",  "tfoot", "rb", "rt",  "rp",    "!doctype"};
  std::size_t depth = 0, max_depth = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '<' || i + 1 >= s.size()) {
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const std::size_t end = s.find("-->", i + 4);
      i = end == std::string_view::npos ? s.size() : end + 3;
      continue;
    }
    const bool closing = s[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    if (j >= s.size() || !std::isalpha(static_cast<unsigned char>(s[j]))) {
      ++i;
      continue;
    }
    std::string name;
    while (j < s.size() && std::isalnum(static_cast<unsigned char>(s[j])) && name.size() < 16)
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[j++]))));
    std::size_t k = j;
    while (k < s.size() && s[k] != '>' && s[k] != '<') ++k;
    const bool self_closing = k < s.size() && s[k] == '>' && k > 0 && s[k - 1] == '/';
    i = k;
    if (closing) {
      if (depth > 0) --depth;
      continue;
    }
    bool counts = !self_closing;
    for (const char* t : kNotDeepening)
      if (name == t) counts = false;
    if (counts) max_depth = std::max(max_depth, ++depth);
  }
  return max_depth;
}

struct OutputDeleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

class HtmlDocument {
 public:
  HtmlDocument(std::string_view source, const Limits& limits) : source_(source), limits_(limits) {}

  Status Parse() {
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0;  // errors would copy the stack of open elements each: quadratic memory
    output_.reset(gumbo_parse_with_options(&options, source_.data(), source_.size()));
    if (!output_) return Status::InvalidArgument("HTML: the parser gave up on this input");
    collecting_ = true;
    DOLMETSCH_RETURN_IF_ERROR(Document(output_->document));
    collecting_ = false;
    return Status::Ok();
  }

  std::vector<Block>& blocks() { return blocks_; }

  StatusOr<std::string> Write(std::vector<TranslatedBlock> translated) {
    translated_ = std::move(translated);
    out_.clear();
    out_.reserve(source_.size() + source_.size() / 4);
    DOLMETSCH_RETURN_IF_ERROR(Document(output_->document));
    return std::move(out_);
  }

 private:
  using Key = std::pair<const GumboNode*, int>;  // (node, -1 for its text run or the attribute's index)

  Status Document(const GumboNode* doc) {
    const GumboDocument& d = doc->v.document;
    if (d.has_doctype && !collecting_) {
      out_ += "<!DOCTYPE ";
      out_ += d.name;
      if (*d.public_identifier) {
        out_ += " PUBLIC \"";
        out_ += d.public_identifier;
        out_ += "\"";
        if (*d.system_identifier) out_ += " \"" + std::string(d.system_identifier) + "\"";
      } else if (*d.system_identifier) {
        out_ += " SYSTEM \"" + std::string(d.system_identifier) + "\"";
      }
      out_ += ">";
    }
    return Children(doc, 0);
  }

  Status Children(const GumboNode* parent, std::size_t depth) {
    if (depth > limits_.max_html_depth * 2)
      return Status::InvalidArgument("HTML: elements nested deeper than " +
                                     std::to_string(limits_.max_html_depth * 2));
    const GumboVector& kids =
        parent->type == GUMBO_NODE_DOCUMENT ? parent->v.document.children : parent->v.element.children;
    std::size_t i = 0;
    while (i < kids.length) {
      const auto* node = static_cast<const GumboNode*>(kids.data[i]);
      if (!IsInlineContent(node)) {
        DOLMETSCH_RETURN_IF_ERROR(Node(node, depth + 1, /*kept=*/false));
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < kids.length && IsInlineContent(static_cast<const GumboNode*>(kids.data[j]))) ++j;
      DOLMETSCH_RETURN_IF_ERROR(Run(kids, i, j, depth + 1));
      i = j;
    }
    return Status::Ok();
  }

  bool IsInlineContent(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_COMMENT:
      case GUMBO_NODE_CDATA:
        return true;
      case GUMBO_NODE_ELEMENT:
        break;
      default:
        return false;
    }
    auto it = inline_memo_.find(node);
    if (it != inline_memo_.end()) return it->second;
    const GumboElement& e = node->v.element;
    bool result = IsInlineTag(e.tag) && e.tag_namespace == GUMBO_NAMESPACE_HTML;
    if (result && !IsAtom(node)) {
      for (unsigned k = 0; k < e.children.length && result; ++k)
        result = IsInlineContent(static_cast<const GumboNode*>(e.children.data[k]));
    }
    inline_memo_[node] = result;
    return result;
  }

  bool IsAtom(const GumboNode* node) const {
    if (node->type != GUMBO_NODE_ELEMENT) return node->type == GUMBO_NODE_COMMENT;
    const GumboElement& e = node->v.element;
    return IsVoid(e.tag) || IsKeptTag(e.tag) || HasNoTranslateMark(e);
  }

  // A run of inline content between block elements: one block.
  Status Run(const GumboVector& kids, std::size_t from, std::size_t to, std::size_t depth) {
    const Key key{static_cast<const GumboNode*>(kids.data[from]), -1};
    if (collecting_) {
      Block block;
      std::vector<const GumboNode*> nodes;
      bool space = true;  // collapse whitespace; none at the start
      for (std::size_t k = from; k < to; ++k)
        DOLMETSCH_RETURN_IF_ERROR(
            Collect(static_cast<const GumboNode*>(kids.data[k]), -1, depth, &block, &nodes, &space));
      while (!block.text.empty() && block.text.back() == ' ') block.text.pop_back();
      for (auto& s : block.spans) {
        s.begin = std::min(s.begin, block.text.size());
        s.end = std::min(s.end, block.text.size());
      }
      if (HasLetter(block.text)) {
        run_index_[key] = blocks_.size();
        run_nodes_[blocks_.size()] = std::move(nodes);
        blocks_.push_back(std::move(block));
      }
      return Status::Ok();
    }
    auto it = run_index_.find(key);
    if (it == run_index_.end()) {
      for (std::size_t k = from; k < to; ++k)
        DOLMETSCH_RETURN_IF_ERROR(Node(static_cast<const GumboNode*>(kids.data[k]), depth, false));
      return Status::Ok();
    }
    const auto* first = static_cast<const GumboNode*>(kids.data[from]);
    const auto* last = static_cast<const GumboNode*>(kids.data[to - 1]);
    out_ += LeadingSpace(first);
    const std::vector<const GumboNode*>& nodes = run_nodes_[it->second];
    Status status;
    RenderCallbacks cb;
    cb.text = [&](std::string_view t) { AppendEscaped(t, false, &out_); };
    cb.open = [&](const InlineSpan& s) { StartTag(nodes[s.id]); };
    cb.close = [&](const InlineSpan& s) { EndTag(nodes[s.id]); };
    cb.atom = [&](const InlineSpan& s) {
      if (s.id < 0) {
        AppendEscaped(s.verbatim, false, &out_);
      } else if (status.ok()) {
        status = Node(nodes[s.id], depth + 1, /*kept=*/true);
      }
    };
    RenderBlock(translated_[it->second], cb);
    out_ += TrailingSpace(last);
    return status;
  }

  static std::string_view LeadingSpace(const GumboNode* n) {
    if (n->type != GUMBO_NODE_TEXT && n->type != GUMBO_NODE_WHITESPACE) return {};
    std::string_view t = Piece(n->v.text.original_text);
    std::size_t k = 0;
    while (k < t.size() && std::isspace(static_cast<unsigned char>(t[k]))) ++k;
    return t.substr(0, k);
  }
  static std::string_view TrailingSpace(const GumboNode* n) {
    if (n->type != GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) return {};
    std::string_view t = Piece(n->v.text.original_text);
    std::size_t k = t.size();
    while (k > 0 && std::isspace(static_cast<unsigned char>(t[k - 1]))) --k;
    return t.substr(k);
  }

  Status Collect(const GumboNode* node, int parent, std::size_t depth, Block* block,
                 std::vector<const GumboNode*>* nodes, bool* space) {
    if (depth > limits_.max_html_depth * 2)
      return Status::InvalidArgument("HTML: elements nested deeper than " +
                                     std::to_string(limits_.max_html_depth * 2));
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
        node->type == GUMBO_NODE_CDATA) {
      for (const char* p = node->v.text.text; *p; ++p) {
        if (std::isspace(static_cast<unsigned char>(*p))) {
          if (!*space) block->text.push_back(' ');
          *space = true;
        } else {
          block->text.push_back(*p);
          *space = false;
        }
      }
      return Status::Ok();
    }
    InlineSpan span;
    span.parent = parent;
    span.id = static_cast<int>(nodes->size());
    span.begin = span.end = block->text.size();
    nodes->push_back(node);
    if (IsAtom(node)) {
      span.atom = true;
      const bool line_break = node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == GUMBO_TAG_BR;
      span.kind = line_break ? SpanKind::kLineBreak
                  : (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == GUMBO_TAG_CODE)
                      ? SpanKind::kCode
                      : SpanKind::kVerbatim;
      if (line_break && !*space) {  // the break separates words
        block->text.push_back(' ');
        *space = true;
        span.begin = span.end = block->text.size();
      }
      block->spans.push_back(span);
      if (!line_break) *space = false;  // whitespace after the atom is kept (NormalizeAtomSpacing)
      // An image's alt (or a kept element's title) is still translated.
      if (node->type == GUMBO_NODE_ELEMENT && !HasNoTranslateMark(node->v.element)) CollectAttributes(node);
      return Status::Ok();
    }
    const GumboElement& e = node->v.element;
    span.kind = TagIn(e.tag, {GUMBO_TAG_B, GUMBO_TAG_STRONG}) ? SpanKind::kBold
                : TagIn(e.tag, {GUMBO_TAG_I, GUMBO_TAG_EM})   ? SpanKind::kItalic
                : e.tag == GUMBO_TAG_A                        ? SpanKind::kLink
                                                              : SpanKind::kOther;
    const int index = static_cast<int>(block->spans.size());
    block->spans.push_back(span);
    CollectAttributes(node);
    for (unsigned k = 0; k < e.children.length; ++k)
      DOLMETSCH_RETURN_IF_ERROR(
          Collect(static_cast<const GumboNode*>(e.children.data[k]), index, depth + 1, block, nodes, space));
    block->spans[index].end = block->text.size();
    return Status::Ok();
  }

  void CollectAttributes(const GumboNode* node) {
    const GumboVector& attrs = node->v.element.attributes;
    for (unsigned k = 0; k < attrs.length; ++k) {
      const auto* a = static_cast<const GumboAttribute*>(attrs.data[k]);
      if (!IsTranslatedAttribute(a->name) || !HasLetter(a->value)) continue;
      Block block;
      block.kind = BlockKind::kAttribute;
      bool space = true;
      for (const char* p = a->value; *p; ++p) {
        if (std::isspace(static_cast<unsigned char>(*p))) {
          if (!space) block.text.push_back(' ');
          space = true;
        } else {
          block.text.push_back(*p);
          space = false;
        }
      }
      while (!block.text.empty() && block.text.back() == ' ') block.text.pop_back();
      attribute_index_[{node, static_cast<int>(k)}] = blocks_.size();
      blocks_.push_back(std::move(block));
    }
  }

  // An element or other node outside a translated run (kept: copy the subtree as it is).
  Status Node(const GumboNode* node, std::size_t depth, bool kept) {
    if (depth > limits_.max_html_depth * 2)
      return Status::InvalidArgument("HTML: elements nested deeper than " +
                                     std::to_string(limits_.max_html_depth * 2));
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_COMMENT:
        if (!collecting_) {
          const std::string_view original = Piece(node->v.text.original_text);
          const bool whitespace_ok = node->type != GUMBO_NODE_WHITESPACE ||
                                     std::all_of(original.begin(), original.end(), [](char c) {
                                       return std::isspace(static_cast<unsigned char>(c));
                                     });
          if (!original.empty() && whitespace_ok) {
            out_ += original;
          } else if (node->type != GUMBO_NODE_COMMENT) {
            AppendEscaped(node->v.text.text, false, &out_);
          }
        }
        return Status::Ok();
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return Status::Ok();
    }
    const GumboElement& e = node->v.element;
    const bool keep = kept || IsKeptTag(e.tag) || HasNoTranslateMark(e) || node->type == GUMBO_NODE_TEMPLATE;
    if (collecting_) {
      if (!keep || (!HasNoTranslateMark(e) && IsVoid(e.tag))) CollectAttributes(node);
      if (keep) return Status::Ok();
      return Children(node, depth);
    }
    StartTag(node);
    if (keep) {
      for (unsigned k = 0; k < e.children.length; ++k)
        DOLMETSCH_RETURN_IF_ERROR(Node(static_cast<const GumboNode*>(e.children.data[k]), depth + 1, true));
    } else {
      DOLMETSCH_RETURN_IF_ERROR(Children(node, depth));
    }
    EndTag(node);
    return Status::Ok();
  }

  static std::string TagName(const GumboElement& e) {
    if (e.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(e.tag);
    GumboStringPiece name = e.original_tag;
    if (name.length == 0) return "";
    gumbo_tag_from_original_text(&name);
    std::string n(name.data, name.length);
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n;
  }

  const TranslatedBlock* AttributeTranslation(const GumboNode* node, int k) const {
    auto it = attribute_index_.find({node, k});
    return it == attribute_index_.end() ? nullptr : &translated_[it->second];
  }

  void StartTag(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    const std::string_view original = Piece(e.original_tag);
    const bool from_end_tag = node->parse_flags & GUMBO_INSERTION_CONVERTED_FROM_END_TAG;
    if (!original.empty() && !from_end_tag && original.size() > 1 && original[1] != '/') {
      // Copy the tag, replacing the values of translated attributes.
      std::size_t cursor = 0;
      for (unsigned k = 0; k < e.attributes.length; ++k) {
        const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[k]);
        const TranslatedBlock* t = AttributeTranslation(node, static_cast<int>(k));
        if (!t || a->original_value.length == 0) continue;
        const char* vb = a->original_value.data;
        if (vb < original.data() + cursor ||
            vb + a->original_value.length > original.data() + original.size())
          continue;  // not inside this tag's bytes (a reconstructed element): leave it
        const std::size_t offset = static_cast<std::size_t>(vb - original.data());
        out_ += original.substr(cursor, offset - cursor);
        out_ += '"';
        AppendEscaped(t->text, true, &out_);
        out_ += '"';
        cursor = offset + a->original_value.length;
      }
      out_ += original.substr(cursor);
      return;
    }
    if (original.empty() && IsOmittable(e.tag)) return;
    const std::string name = TagName(e);
    if (name.empty()) return;
    out_ += '<' + name;
    for (unsigned k = 0; k < e.attributes.length; ++k) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[k]);
      const TranslatedBlock* t = AttributeTranslation(node, static_cast<int>(k));
      out_ += ' ';
      out_ += a->name;
      out_ += "=\"";
      AppendEscaped(t ? std::string_view(t->text) : std::string_view(a->value), true, &out_);
      out_ += '"';
    }
    out_ += '>';
  }

  // gumbo gives an element closed implicitly the end tag that closed its ancestor ("</ul>" for an li).
  static bool EndTagNames(const GumboElement& e) {
    GumboStringPiece name = e.original_end_tag;
    gumbo_tag_from_original_text(&name);
    const std::string expected = TagName(e);
    if (name.length != expected.size()) return false;
    for (std::size_t k = 0; k < name.length; ++k)
      if (std::tolower(static_cast<unsigned char>(name.data[k])) != expected[k]) return false;
    return true;
  }

  void EndTag(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    if (e.original_end_tag.length > 0 && EndTagNames(e)) {
      out_ += Piece(e.original_end_tag);
      return;
    }
    if (IsVoid(e.tag) || (e.original_tag.length == 0 && IsOmittable(e.tag))) return;
    if (e.tag_namespace != GUMBO_NAMESPACE_HTML && e.original_tag.length > 1 &&
        e.original_tag.data[e.original_tag.length - 2] == '/')
      return;  // a self-closing SVG or MathML element
    const std::string name = TagName(e);
    if (!name.empty()) out_ += "</" + name + ">";
  }

  std::string_view source_;
  Limits limits_;
  std::unique_ptr<GumboOutput, OutputDeleter> output_;
  bool collecting_ = false;
  std::vector<Block> blocks_;
  std::map<std::size_t, std::vector<const GumboNode*>> run_nodes_;  // block index -> its span ids' nodes
  std::map<Key, std::size_t> run_index_, attribute_index_;
  std::unordered_map<const GumboNode*, bool> inline_memo_;
  std::vector<TranslatedBlock> translated_;
  std::string out_;
};

}  // namespace

Status CheckInput(std::string_view input, const Limits& limits, const char* what) {
  if (input.size() > limits.max_input_bytes)
    return Status::ResourceExhausted(std::string(what) + ": the file has " + std::to_string(input.size()) +
                                     " bytes; the limit is " + std::to_string(limits.max_input_bytes));
  std::size_t bad = 0;
  if (!IsValidUtf8(input, &bad))
    return Status::InvalidArgument(std::string(what) + ": invalid UTF-8 at byte " + std::to_string(bad) +
                                   " (convert the file to UTF-8)");
  return Status::Ok();
}

StatusOr<std::string> TranslateHtml(std::string_view input, const TranslateFn& translate,
                                    const DocumentTranslationOptions& options, TranslateBlocksStats* stats) {
  DOLMETSCH_RETURN_IF_ERROR(CheckInput(input, options.limits, "HTML"));
  const std::size_t depth = EstimateDepth(input);
  if (depth > options.limits.max_html_depth)
    return Status::ResourceExhausted("HTML: elements nested about " + std::to_string(depth) +
                                     " deep; the limit is " + std::to_string(options.limits.max_html_depth));
  HtmlDocument doc(input, options.limits);
  DOLMETSCH_RETURN_IF_ERROR(doc.Parse());
  DOLMETSCH_ASSIGN_OR_RETURN(auto translated,
                             TranslateBlocks(doc.blocks(), translate, options.blocks, stats));
  return doc.Write(std::move(translated));
}

}  // namespace dolmetsch::markup
