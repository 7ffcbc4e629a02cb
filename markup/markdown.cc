// Markdown through cmark-gfm (CommonMark + GFM tables, strikethrough, autolinks, task lists).
//
// The parser's block source positions decide what is rewritten; every other byte is copied:
//   - a paragraph (also inside list items and block quotes): its range is replaced by the translated
//     inline content on one line (soft line breaks inside it become spaces; list markers, quote markers,
//     indentation and the task-list box before it are kept);
//   - an ATX heading: its line after the container markers becomes "#..# " + translation (a closing
//     sequence of #s is dropped); a setext heading: its text lines become one line, the underline is kept;
//   - a table row with any letter in it: the row's line is written again as "| a | b |" (the delimiter row
//     is kept; cells are translated one by one, '|' escaped);
//   - code blocks, HTML blocks, thematic breaks, link reference definitions, front matter (--- ... --- at
//     the start) and blank lines are copied.
// Inline: emphasis, strong and strikethrough are spans written as *, ** and ~~; links are spans written as
// inline links [text](destination "title") with the destination and title as parsed (reference-style
// links therefore come out inline); images are atoms whose alt text is translated as a block of its own;
// code spans, inline HTML and autolinks are atoms copied; a hard line break is an atom written "\" + newline.
// Translated text is escaped where it could start markup.
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "markup/formats.h"

namespace dolmetsch::markup {
namespace {

struct NodeDeleter {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
struct ParserDeleter {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};

bool IsType(cmark_node* node, const char* name) {
  const char* t = cmark_node_get_type_string(node);
  return t && std::strcmp(t, name) == 0;
}

std::string Literal(cmark_node* n) {
  const char* l = cmark_node_get_literal(n);
  return l ? l : "";
}

// Text as Markdown: characters that could open markup are backslash-escaped.
void AppendMarkdownText(std::string_view t, std::string* out) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    switch (c) {
      case '\\':
      case '*':
      case '_':
      case '`':
      case '[':
      case ']':
      case '<':
      case '~':
      case '|':
        out->push_back('\\');
        out->push_back(c);
        break;
      case '&':
        if (i + 1 < t.size() && (std::isalnum(static_cast<unsigned char>(t[i + 1])) || t[i + 1] == '#'))
          out->push_back('\\');
        out->push_back(c);
        break;
      case '\n':
      case '\r':
        out->push_back(' ');
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string CodeSpan(const std::string& code) {
  std::size_t longest = 0, run = 0;
  for (char c : code) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !code.empty() && (code.front() == '`' || code.back() == '`' || code.front() == ' ');
  return fence + (pad ? " " : "") + code + (pad ? " " : "") + fence;
}

std::string Destination(cmark_node* link) {
  const char* url = cmark_node_get_url(link);
  const char* title = cmark_node_get_title(link);
  std::string u = url ? url : "";
  std::string out;
  bool plain = !u.empty();
  for (char c : u)
    if (c == ' ' || c == '(' || c == ')' || c == '<' || c == '>' || static_cast<unsigned char>(c) < 0x20)
      plain = false;
  if (plain) {
    out = u;
  } else {
    out = "<";
    for (char c : u) {
      if (c == '<' || c == '>' || c == '\\') out.push_back('\\');
      if (c != '\n') out.push_back(c);
    }
    out += ">";
  }
  if (title && *title) {
    out += " \"";
    for (const char* p = title; *p; ++p) {
      if (*p == '"' || *p == '\\') out.push_back('\\');
      out.push_back(*p);
    }
    out += "\"";
  }
  return out;
}

struct Replacement {
  std::size_t begin = 0, end = 0;
  std::string text;
};

class MarkdownDocument {
 public:
  explicit MarkdownDocument(std::string_view source) : source_(source) {}

  Status Parse() {
    // Front matter is kept: it is blanked (newlines kept) for the parser so offsets stay the same.
    std::string buffer(source_);
    if (buffer.rfind("---\n", 0) == 0 || buffer.rfind("---\r\n", 0) == 0) {
      std::size_t pos = buffer.find('\n') + 1;
      while (pos < buffer.size()) {
        std::size_t nl = buffer.find('\n', pos);
        const std::size_t line_end = nl == std::string::npos ? buffer.size() : nl;
        std::string_view line(buffer.data() + pos, line_end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line == "---" || line == "...") {
          for (std::size_t k = 0; k < line_end; ++k)
            if (buffer[k] != '\n' && buffer[k] != '\r') buffer[k] = ' ';
          break;
        }
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    }
    line_starts_.push_back(0);
    for (std::size_t k = 0; k < source_.size(); ++k)
      if (source_[k] == '\n') line_starts_.push_back(k + 1);

    static std::once_flag registered;
    std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
    std::unique_ptr<cmark_parser, ParserDeleter> parser(cmark_parser_new(CMARK_OPT_SOURCEPOS));
    for (const char* ext : {"table", "strikethrough", "autolink", "tasklist"}) {
      cmark_syntax_extension* e = cmark_find_syntax_extension(ext);
      if (e) cmark_parser_attach_syntax_extension(parser.get(), e);
    }
    cmark_parser_feed(parser.get(), buffer.data(), buffer.size());
    root_.reset(cmark_parser_finish(parser.get()));
    if (!root_) return Status::InvalidArgument("Markdown: the parser gave up on this input");
    return Collect(root_.get(), 0);
  }

  std::vector<Block>& blocks() { return blocks_; }

  StatusOr<std::string> Write(const std::vector<TranslatedBlock>& translated) {
    translated_ = &translated;
    std::vector<Replacement> replacements;
    for (const Unit& u : units_) {
      Replacement r{u.begin, u.end, u.prefix};
      if (u.cells.empty()) {
        r.text += Render(u.block);
      } else {
        r.text += "|";
        for (std::size_t b : u.cells) r.text += " " + Render(b) + " |";
      }
      replacements.push_back(std::move(r));
    }
    std::string out;
    std::size_t cursor = 0;
    for (const Replacement& r : replacements) {
      if (r.begin < cursor || r.end < r.begin || r.end > source_.size())
        return Status::Unsupported("Markdown: the parser's source positions overlap near byte " +
                                   std::to_string(r.begin) + "; this file cannot be rewritten in place");
      out.append(source_, cursor, r.begin - cursor);
      out += r.text;
      cursor = r.end;
    }
    out.append(source_, cursor, std::string::npos);
    return out;
  }

 private:
  // What is rewritten: a range of the source and the block(s) that go there.
  struct Unit {
    std::size_t begin = 0, end = 0;
    std::string prefix;              // heading marker
    std::size_t block = 0;           // paragraph or heading
    std::vector<std::size_t> cells;  // table row: one block per cell
  };

  StatusOr<std::size_t> Offset(int line, int column) const {
    if (line < 1 || static_cast<std::size_t>(line) > line_starts_.size() || column < 1)
      return Status::Unsupported("Markdown: source position " + std::to_string(line) + ":" +
                                 std::to_string(column) + " outside the file");
    const std::size_t off = line_starts_[line - 1] + static_cast<std::size_t>(column - 1);
    if (off > source_.size())
      return Status::Unsupported("Markdown: source position " + std::to_string(line) + ":" +
                                 std::to_string(column) + " outside the file");
    return off;
  }
  std::size_t LineEnd(std::size_t line_index) const {  // 0-based line, end without the line ending
    std::size_t e = line_index + 1 < line_starts_.size() ? line_starts_[line_index + 1] - 1 : source_.size();
    if (e > line_starts_[line_index] && e <= source_.size() && e > 0 && source_[e - 1] == '\r') --e;
    return std::max(e, line_starts_[line_index]);
  }

  static bool IsSetextUnderline(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '>' || line[i] == '\t')) ++i;
    std::size_t e = line.size();
    while (e > i && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r')) --e;
    if (i == e || (line[i] != '=' && line[i] != '-')) return false;
    for (std::size_t k = i; k < e; ++k)
      if (line[k] != line[i]) return false;
    return true;
  }

  Status Collect(cmark_node* node, std::size_t depth) {
    if (depth > 10000) return Status::InvalidArgument("Markdown: nested too deeply");
    const cmark_node_type type = cmark_node_get_type(node);
    if (type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING) {
      Block block;
      block.kind = type == CMARK_NODE_HEADING ? BlockKind::kHeading : BlockKind::kParagraph;
      DOLMETSCH_RETURN_IF_ERROR(Inlines(node, -1, &block, depth));
      if (!HasLetter(block.text)) return Status::Ok();
      Unit u;
      DOLMETSCH_ASSIGN_OR_RETURN(u.begin,
                                 Offset(cmark_node_get_start_line(node), cmark_node_get_start_column(node)));
      const int start_line = cmark_node_get_start_line(node);
      if (type == CMARK_NODE_PARAGRAPH) {
        DOLMETSCH_ASSIGN_OR_RETURN(std::size_t last,
                                   Offset(cmark_node_get_end_line(node), cmark_node_get_end_column(node)));
        u.end = std::min(source_.size(), last + 1);
      } else if (u.begin < source_.size() && source_[u.begin] == '#') {
        u.prefix = std::string(static_cast<std::size_t>(cmark_node_get_heading_level(node)), '#') + " ";
        u.end = LineEnd(static_cast<std::size_t>(start_line - 1));
      } else {
        std::size_t line = static_cast<std::size_t>(start_line - 1);
        while (line + 1 < line_starts_.size() &&
               !IsSetextUnderline(std::string_view(source_).substr(
                   line_starts_[line + 1], LineEnd(line + 1) - line_starts_[line + 1])))
          ++line;
        u.end = LineEnd(line);
      }
      if (u.end < u.begin) return Status::Unsupported("Markdown: block positions out of order");
      u.block = AddBlock(std::move(block));
      units_.push_back(std::move(u));
      return Status::Ok();
    }
    if (IsType(node, "table_row") || IsType(node, "table_header")) {
      Unit u;
      bool letters = false;
      const std::size_t blocks_before = blocks_.size();
      for (cmark_node* cell = cmark_node_first_child(node); cell; cell = cmark_node_next(cell)) {
        Block block;
        block.kind = BlockKind::kTableCell;
        DOLMETSCH_RETURN_IF_ERROR(Inlines(cell, -1, &block, depth));
        letters = letters || HasLetter(block.text);
        u.cells.push_back(AddBlock(std::move(block)));
      }
      if (!letters) {
        blocks_.resize(blocks_before);
        return Status::Ok();
      }
      DOLMETSCH_ASSIGN_OR_RETURN(u.begin,
                                 Offset(cmark_node_get_start_line(node), cmark_node_get_start_column(node)));
      u.end = LineEnd(static_cast<std::size_t>(cmark_node_get_start_line(node) - 1));
      if (u.end < u.begin) return Status::Unsupported("Markdown: table row positions out of order");
      units_.push_back(std::move(u));
      return Status::Ok();
    }
    for (cmark_node* child = cmark_node_first_child(node); child; child = cmark_node_next(child))
      DOLMETSCH_RETURN_IF_ERROR(Collect(child, depth + 1));
    return Status::Ok();
  }

  std::size_t AddBlock(Block block) {
    blocks_.push_back(std::move(block));
    return blocks_.size() - 1;
  }

  // Adds the inline children of `node` to `block` under span `parent`.
  Status Inlines(cmark_node* node, int parent, Block* block, std::size_t depth) {
    if (depth > 10000) return Status::InvalidArgument("Markdown: nested too deeply");
    for (cmark_node* n = cmark_node_first_child(node); n; n = cmark_node_next(n)) {
      const cmark_node_type type = cmark_node_get_type(n);
      InlineSpan span;
      span.parent = parent;
      span.begin = span.end = block->text.size();
      span.id = static_cast<int>(nodes_.size());
      switch (type) {
        case CMARK_NODE_TEXT:
          block->text += Literal(n);
          continue;
        case CMARK_NODE_SOFTBREAK:
          block->text += ' ';
          continue;
        case CMARK_NODE_LINEBREAK:
          block->text += ' ';
          span.begin = span.end = block->text.size();
          span.atom = true;
          span.kind = SpanKind::kLineBreak;
          break;
        case CMARK_NODE_CODE:
          span.atom = true;
          span.kind = SpanKind::kCode;
          break;
        case CMARK_NODE_HTML_INLINE:
          span.atom = true;
          span.kind = SpanKind::kVerbatim;
          break;
        case CMARK_NODE_IMAGE: {
          span.atom = true;
          span.kind = SpanKind::kVerbatim;
          Block alt;
          alt.kind = BlockKind::kAttribute;
          DOLMETSCH_RETURN_IF_ERROR(PlainText(n, &alt.text, depth + 1));
          image_alt_[n] = AddBlock(std::move(alt));
          break;
        }
        case CMARK_NODE_LINK: {
          std::string text;
          DOLMETSCH_RETURN_IF_ERROR(PlainText(n, &text, depth + 1));
          const char* url = cmark_node_get_url(n);
          const std::string u = url ? url : "";
          if (text == u || "mailto:" + text == u || "http://" + text == u) {
            span.atom = true;  // an autolink
            span.kind = SpanKind::kVerbatim;
            break;
          }
          span.kind = SpanKind::kLink;
          break;
        }
        case CMARK_NODE_EMPH:
          span.kind = SpanKind::kItalic;
          break;
        case CMARK_NODE_STRONG:
          span.kind = SpanKind::kBold;
          break;
        default:
          if (IsType(n, "strikethrough")) {
            span.kind = SpanKind::kOther;
            break;
          }
          span.atom = true;  // anything else (footnote references, ...) is copied as rendered by cmark
          span.kind = SpanKind::kVerbatim;
          break;
      }
      nodes_.push_back(n);
      const int index = static_cast<int>(block->spans.size());
      block->spans.push_back(span);
      if (!span.atom) {
        DOLMETSCH_RETURN_IF_ERROR(Inlines(n, index, block, depth + 1));
        block->spans[index].end = block->text.size();
      }
    }
    return Status::Ok();
  }

  Status PlainText(cmark_node* node, std::string* out, std::size_t depth) {
    if (depth > 10000) return Status::InvalidArgument("Markdown: nested too deeply");
    for (cmark_node* n = cmark_node_first_child(node); n; n = cmark_node_next(n)) {
      const cmark_node_type t = cmark_node_get_type(n);
      if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
        *out += Literal(n);
      else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
        *out += ' ';
      else
        DOLMETSCH_RETURN_IF_ERROR(PlainText(n, out, depth + 1));
    }
    return Status::Ok();
  }

  std::string Render(std::size_t block_index) {
    const TranslatedBlock& b = (*translated_)[block_index];
    std::string out;
    RenderCallbacks cb;
    cb.text = [&](std::string_view t) { AppendMarkdownText(t, &out); };
    cb.open = [&](const InlineSpan& s) {
      if (s.begin == s.end && s.kind != SpanKind::kLink) return;  // no empty ** **
      cmark_node* n = nodes_[s.id];
      if (s.kind == SpanKind::kBold)
        out += "**";
      else if (s.kind == SpanKind::kItalic)
        out += "*";
      else if (s.kind == SpanKind::kLink)
        out += "[";
      else if (IsType(n, "strikethrough"))
        out += "~~";
    };
    cb.close = [&](const InlineSpan& s) {
      if (s.begin == s.end && s.kind != SpanKind::kLink) return;
      cmark_node* n = nodes_[s.id];
      if (s.kind == SpanKind::kBold)
        out += "**";
      else if (s.kind == SpanKind::kItalic)
        out += "*";
      else if (s.kind == SpanKind::kLink)
        out += "](" + Destination(n) + ")";
      else if (IsType(n, "strikethrough"))
        out += "~~";
    };
    cb.atom = [&](const InlineSpan& s) {
      if (s.id < 0) {
        AppendMarkdownText(s.verbatim, &out);
        return;
      }
      cmark_node* n = nodes_[s.id];
      switch (cmark_node_get_type(n)) {
        case CMARK_NODE_LINEBREAK:
          out += "\\\n";
          return;
        case CMARK_NODE_CODE:
          out += CodeSpan(Literal(n));
          return;
        case CMARK_NODE_HTML_INLINE:
          out += Literal(n);
          return;
        case CMARK_NODE_IMAGE: {
          out += "![";
          AppendMarkdownText((*translated_)[image_alt_.at(n)].text, &out);
          out += "](" + Destination(n) + ")";
          return;
        }
        case CMARK_NODE_LINK: {
          const char* url = cmark_node_get_url(n);
          std::string text;
          (void)PlainText(n, &text, 0);
          if (url && text == url)
            out += "<" + text + ">";
          else if (url && std::string("mailto:") + text == url)
            out += "<" + text + ">";
          else
            out += text;  // a GFM bare autolink (www.example.org)
          return;
        }
        default: {
          char* rendered = cmark_render_commonmark(n, CMARK_OPT_DEFAULT, 0);
          if (rendered) {
            std::string r(rendered);
            free(rendered);
            while (!r.empty() && r.back() == '\n') r.pop_back();
            out += r;
          }
        }
      }
    };
    RenderBlock(b, cb);
    // Text at the start of a line must not read as a block marker.
    if (!out.empty()) {
      const char c = out[0];
      if (c == '#' || c == '>' || c == '-' || c == '+' || c == '=') {
        out.insert(0, "\\");
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t k = 0;
        while (k < out.size() && std::isdigit(static_cast<unsigned char>(out[k]))) ++k;
        if (k < out.size() && (out[k] == '.' || out[k] == ')')) out.insert(k, "\\");
      }
    }
    return out;
  }

  std::string source_;
  std::vector<std::size_t> line_starts_;
  std::unique_ptr<cmark_node, NodeDeleter> root_;
  std::vector<Block> blocks_;
  std::vector<Unit> units_;
  std::vector<cmark_node*> nodes_;
  std::map<cmark_node*, std::size_t> image_alt_;
  const std::vector<TranslatedBlock>* translated_ = nullptr;
};

}  // namespace

StatusOr<std::string> TranslateMarkdown(std::string_view input, const TranslateFn& translate,
                                        const DocumentTranslationOptions& options,
                                        TranslateBlocksStats* stats) {
  DOLMETSCH_RETURN_IF_ERROR(CheckInput(input, options.limits, "Markdown"));
  MarkdownDocument doc(input);
  DOLMETSCH_RETURN_IF_ERROR(doc.Parse());
  DOLMETSCH_ASSIGN_OR_RETURN(auto translated,
                             TranslateBlocks(doc.blocks(), translate, options.blocks, stats));
  return doc.Write(translated);
}

}  // namespace dolmetsch::markup
