// Office packages (.docx .pptx .odt .odp .epub): see formats.h for the contract and docs/documents.md for
// what is translated per format.
//
// Each translated XML part is parsed with libxml2 (xml_document.h). Every paragraph element (w:p, a:p,
// text:p/text:h, or a title element) becomes a Block: its text, its formatted runs and containers as
// spans (`Handle::element`), and everything else in it (tabs, breaks, fields, bookmarks, drawings, notes,
// frames) as atoms that are moved, not copied, into the rebuilt paragraph, so text boxes, footnotes and
// comments inside a paragraph (which are paragraphs of their own) keep their own translation. After
// TranslateBlocks the paragraph's inline children are rebuilt from the translated block: a span becomes a
// copy of its element with its property children (w:rPr, a:rPr, w:sdtPr, ...), text goes into w:t/a:t
// of the current run (or of a new run with the paragraph's base properties), atoms go where the
// projection put them. The replaced nodes are freed with the document.
#include <libxml/tree.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "markup/formats.h"
#include "markup/xml_document.h"
#include "markup/zip_package.h"
#include "util/percent_encoding.h"

namespace dolmetsch::markup {
namespace {

constexpr char kW[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr char kA[] = "http://schemas.openxmlformats.org/drawingml/2006/main";
constexpr char kText[] = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
constexpr char kNcx[] = "http://www.daisy.org/z3986/2005/ncx/";
constexpr char kDc[] = "http://purl.org/dc/elements/1.1/";
constexpr char kOpf[] = "http://www.idpf.org/2007/opf";
constexpr char kContainer[] = "urn:oasis:names:tc:opendocument:xmlns:container";
constexpr char kContentTypes[] = "http://schemas.openxmlformats.org/package/2006/content-types";

enum class Dialect { kWord, kDrawing, kOdf, kPlain };

std::string Name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A property child travels with its element's copies (w:rPr, w:sdtPr, a:rPr, ...).
bool IsPropertyChild(const xmlNode* n, const xmlNode* parent) {
  return n->type == XML_ELEMENT_NODE && EndsWith(Name(n), "Pr") && NamespaceOf(n) == NamespaceOf(parent);
}

// Children of a paragraph that stay where they are (the paragraph's own properties).
bool IsKeptParagraphChild(const xmlNode* n, Dialect d) {
  if (d == Dialect::kWord) return Is(n, kW, "pPr");
  if (d == Dialect::kDrawing) return Is(n, kA, "pPr") || Is(n, kA, "endParaRPr");
  return false;
}

// A canonical form of run properties, without the attributes that only record editing history or
// spell-check state, so runs split by those compare equal.
void Canon(const xmlNode* n, std::string* out) {
  if (!n) return;
  if (n->type != XML_ELEMENT_NODE) {
    if (n->type == XML_TEXT_NODE && n->content) *out += reinterpret_cast<const char*>(n->content);
    return;
  }
  *out += '<';
  *out += Name(n);
  std::vector<std::string> attrs;
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    const std::string name = reinterpret_cast<const char*>(a->name);
    if (name.rfind("rsid", 0) == 0 || name == "dirty" || name == "err" || name == "smtClean" ||
        name == "smtId")
      continue;
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
    attrs.push_back(name + "=" + (v ? reinterpret_cast<const char*>(v) : ""));
    xmlFree(v);
  }
  std::sort(attrs.begin(), attrs.end());
  for (const auto& a : attrs) *out += " " + a;
  *out += '>';
  for (const xmlNode* c = n->children; c; c = c->next) Canon(c, out);
  *out += "</>";
}

xmlNodePtr RunProperties(const xmlNode* run) {
  for (xmlNodePtr c = run->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && Name(c) == "rPr" && NamespaceOf(c) == NamespaceOf(run)) return c;
  return nullptr;
}

std::string RunKey(const xmlNode* run) {
  std::string key;
  Canon(RunProperties(run), &key);
  return key;
}

// Element copies that reuse the source's namespace structures (no redundant declarations); the
// paragraph is reconciled (xmlReconciliateNs) after it is rebuilt.
xmlNodePtr ShallowClone(xmlNodePtr src) {
  xmlNodePtr n = xmlNewDocNode(src->doc, src->ns, src->name, nullptr);
  if (src->nsDef) n->nsDef = xmlCopyNamespaceList(src->nsDef);
  for (xmlAttrPtr a = src->properties; a; a = a->next) {
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNodePtr>(a));
    xmlNewNsProp(n, a->ns, a->name, v);
    xmlFree(v);
  }
  return n;
}

xmlNodePtr DeepClone(xmlNodePtr src) {
  if (src->type != XML_ELEMENT_NODE) return xmlDocCopyNode(src, src->doc, 1);
  xmlNodePtr n = ShallowClone(src);
  for (xmlNodePtr c = src->children; c; c = c->next) {
    xmlNodePtr copy = DeepClone(c);
    if (copy) xmlAddChild(n, copy);
  }
  return n;
}

// What a span or atom of a paragraph's block stands for.
struct Handle {
  xmlNodePtr element = nullptr;   // span: the source element (w:r, w:hyperlink, a:r, text:span, ...)
  std::vector<xmlNodePtr> nodes;  // atom: the source nodes, moved into the output in this order
  bool run = false;               // span: a run (w:r, a:r)
  bool run_level = false;         // atom: must sit inside a run
};

struct Paragraph {
  XmlDocument* doc = nullptr;
  xmlNodePtr element = nullptr;
  Dialect dialect = Dialect::kPlain;
  std::vector<Handle> handles;           // InlineSpan::id indexes this
  xmlNodePtr base_properties = nullptr;  // the run properties of unformatted text (Word, DrawingML)
};

// Builds the block of one paragraph.
class Collector {
 public:
  Collector(Paragraph* p, Block* b) : p_(*p), b_(*b) {}

  void Run() {
    if (p_.dialect == Dialect::kWord || p_.dialect == Dialect::kDrawing) {
      std::map<std::string, std::size_t> text_per_key;
      std::map<std::string, xmlNodePtr> properties;
      CountRunText(p_.element, &text_per_key, &properties);
      std::size_t best = 0;
      for (const auto& [key, bytes] : text_per_key)
        if (bytes > best || (base_key_.empty() && bytes == best)) {
          best = bytes;
          base_key_ = key;
        }
      p_.base_properties = properties.count(base_key_) ? properties[base_key_] : nullptr;
    }
    Children(p_.element, -1);
    while (!b_.text.empty() && b_.text.back() == ' ') b_.text.pop_back();
    for (auto& s : b_.spans) {
      s.begin = std::min(s.begin, b_.text.size());
      s.end = std::min(s.end, b_.text.size());
    }
  }

 private:
  bool IsRun(const xmlNode* n) const {
    return (p_.dialect == Dialect::kWord && Is(n, kW, "r")) ||
           (p_.dialect == Dialect::kDrawing && Is(n, kA, "r"));
  }
  bool IsWordContainer(const xmlNode* n) const {
    if (NamespaceOf(n) != kW) return false;
    static const std::set<std::string> kContainers = {"hyperlink", "ins",       "moveTo", "smartTag",
                                                      "sdt",       "customXml", "dir",    "bdo"};
    return kContainers.count(Name(n)) > 0;
  }

  void CountRunText(xmlNodePtr parent, std::map<std::string, std::size_t>* bytes,
                    std::map<std::string, xmlNodePtr>* properties) {
    for (xmlNodePtr c = parent->children; c; c = c->next) {
      if (IsRun(c)) {
        const std::string key = RunKey(c);
        std::size_t n = 0;
        for (xmlNodePtr t = c->children; t; t = t->next)
          if (Is(t, kW, "t") || Is(t, kA, "t")) {
            xmlChar* v = xmlNodeGetContent(t);
            n += v ? xmlStrlen(v) : 0;
            xmlFree(v);
          }
        (*bytes)[key] += n;
        properties->emplace(key, RunProperties(c));
      } else if (p_.dialect == Dialect::kWord && IsWordContainer(c)) {
        CountRunText(c, bytes, properties);
      }
    }
  }

  void AddText(const xmlChar* content) {
    if (!content) return;
    for (const xmlChar* q = content; *q; ++q) {
      const char c = static_cast<char>(*q);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (!space_) b_.text.push_back(' ');
        space_ = true;
      } else {
        b_.text.push_back(c);
        space_ = false;
      }
    }
  }
  void AddTextOf(xmlNodePtr n) {
    xmlChar* v = xmlNodeGetContent(n);
    AddText(v);
    xmlFree(v);
  }

  int AddHandle(Handle h) {
    p_.handles.push_back(std::move(h));
    return static_cast<int>(p_.handles.size()) - 1;
  }

  // Returns the index of the atom's span.
  int AddAtom(xmlNodePtr node, int parent, bool run_level, SpanKind kind) {
    InlineSpan s;
    s.atom = true;
    s.kind = kind;
    s.parent = parent;
    Handle h;
    h.nodes.push_back(node);
    h.run_level = run_level;
    s.id = AddHandle(std::move(h));
    if (kind == SpanKind::kLineBreak) {
      if (!space_) b_.text.push_back(' ');
      space_ = true;
    } else {
      space_ = false;
    }
    s.begin = s.end = b_.text.size();
    b_.spans.push_back(s);
    return static_cast<int>(b_.spans.size()) - 1;
  }

  int OpenSpan(xmlNodePtr element, int parent, bool run, SpanKind kind) {
    InlineSpan s;
    s.kind = kind;
    s.parent = parent;
    s.begin = s.end = b_.text.size();
    Handle h;
    h.element = element;
    h.run = run;
    s.id = AddHandle(std::move(h));
    b_.spans.push_back(s);
    return static_cast<int>(b_.spans.size()) - 1;
  }

  void Children(xmlNodePtr parent, int parent_span) {
    for (xmlNodePtr c = parent->children; c; c = c->next) {
      switch (p_.dialect) {
        case Dialect::kWord:
          WordChild(c, parent, parent_span);
          break;
        case Dialect::kDrawing:
          DrawingChild(c, parent_span);
          break;
        case Dialect::kOdf:
          OdfChild(c, parent_span);
          break;
        case Dialect::kPlain:
          if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            AddTextOf(c);
          } else {
            AddAtom(c, parent_span, false, SpanKind::kVerbatim);
          }
          break;
      }
    }
  }

  void WordChild(xmlNodePtr c, xmlNodePtr parent, int parent_span) {
    if (c->type == XML_TEXT_NODE) return;  // whitespace between elements
    if (c->type != XML_ELEMENT_NODE) {
      AddAtom(c, parent_span, false, SpanKind::kVerbatim);
      return;
    }
    if (parent == p_.element && IsKeptParagraphChild(c, p_.dialect)) return;
    if (parent != p_.element && IsPropertyChild(c, parent)) return;  // copied with its container
    if (Is(c, kW, "proofErr")) return;  // spell-check marks: dropped, they no longer apply
    if (Is(c, kW, "r")) return WordRun(c, parent_span);
    if (Is(c, kW, "sdtContent") && Is(parent, kW, "sdt"))
      return Children(c, parent_span);  // part of the sdt span
    if (IsWordContainer(c)) {
      const int span =
          OpenSpan(c, parent_span, false, Is(c, kW, "hyperlink") ? SpanKind::kLink : SpanKind::kOther);
      last_run_ = -1;
      Children(c, span);
      b_.spans[span].end = b_.text.size();
      last_run_ = -1;
      return;
    }
    last_run_ = -1;
    AddAtom(c, parent_span, false, SpanKind::kVerbatim);  // bookmarks, comment ranges, fldSimple, del, ...
  }

  void WordRun(xmlNodePtr r, int parent_span) {
    const std::string key = RunKey(r);
    int span = parent_span;
    const bool own_span = key != base_key_;
    if (own_span) {
      if (last_run_ >= 0 && last_run_ == static_cast<int>(b_.spans.size()) - 1 && last_key_ == key &&
          b_.spans[last_run_].parent == parent_span && !in_code_) {
        span = last_run_;  // a run split by editing history only: one span
      } else {
        const xmlNodePtr props = RunProperties(r);
        bool bold = false, italic = false;
        for (xmlNodePtr q = props ? props->children : nullptr; q; q = q->next) {
          bold = bold || Is(q, kW, "b");
          italic = italic || Is(q, kW, "i");
        }
        span = OpenSpan(r, parent_span, true,
                        bold     ? SpanKind::kBold
                        : italic ? SpanKind::kItalic
                                 : SpanKind::kOther);
      }
    }
    for (xmlNodePtr c = r->children; c; c = c->next) {
      if (c->type == XML_TEXT_NODE) continue;
      if (Is(c, kW, "rPr")) continue;
      if (Is(c, kW, "fldChar")) {
        has_field_ = true;
        const std::string type = AttributeValue(c, kW, "fldCharType");
        if (in_code_) {
          p_.handles[b_.spans[code_atom_].id].nodes.push_back(c);
          if (type == "begin") ++code_depth_;
          if (type == "separate" && code_depth_ == 1) in_code_ = false;
          if (type == "end" && --code_depth_ <= 0) in_code_ = false;
          continue;
        }
        const int atom = AddAtom(c, span, true, SpanKind::kVerbatim);
        if (type == "begin") {
          in_code_ = true;
          code_depth_ = 1;
          code_atom_ = atom;
        }
        continue;
      }
      if (in_code_) {  // the field's instruction: kept as it is, with the field's start
        p_.handles[b_.spans[code_atom_].id].nodes.push_back(c);
        continue;
      }
      if (Is(c, kW, "t")) {
        AddTextOf(c);
      } else if (Is(c, kW, "tab") || Is(c, kW, "ptab") || Is(c, kW, "br") || Is(c, kW, "cr")) {
        AddAtom(c, span, true, SpanKind::kLineBreak);
      } else if (Is(c, kW, "noBreakHyphen")) {
        AddText(reinterpret_cast<const xmlChar*>("-"));  // part of a word ("E-Mail"): the model sees it
      } else if (Is(c, kW, "lastRenderedPageBreak") || Is(c, kW, "proofErr") || Is(c, kW, "softHyphen")) {
        // layout cache, spell-check marks and the source language's hyphenation hints: dropped
      } else {
        AddAtom(c, span, true, SpanKind::kVerbatim);  // drawings, footnote references, symbols, ...
      }
    }
    if (own_span) {
      b_.spans[span].end = b_.text.size();
      last_run_ = span;
      last_key_ = key;
    } else {
      last_run_ = -1;
    }
    if (has_field_) b_.keep_order = true;
  }

  void DrawingChild(xmlNodePtr c, int parent_span) {
    if (c->type == XML_TEXT_NODE) return;
    if (IsKeptParagraphChild(c, p_.dialect)) return;
    if (c->type != XML_ELEMENT_NODE) {
      AddAtom(c, parent_span, false, SpanKind::kVerbatim);
      return;
    }
    if (Is(c, kA, "br")) {
      last_run_ = -1;
      AddAtom(c, parent_span, false, SpanKind::kLineBreak);
      return;
    }
    if (!Is(c, kA, "r")) {
      last_run_ = -1;
      AddAtom(c, parent_span, false, SpanKind::kVerbatim);  // fields (slide numbers, dates), math
      return;
    }
    const std::string key = RunKey(c);
    int span = parent_span;
    const bool own_span = key != base_key_;
    if (own_span) {
      if (last_run_ >= 0 && last_run_ == static_cast<int>(b_.spans.size()) - 1 && last_key_ == key) {
        span = last_run_;
      } else {
        const xmlNodePtr props = RunProperties(c);
        const bool bold = props && AttributeValue(props, nullptr, "b") == "1";
        const bool italic = props && AttributeValue(props, nullptr, "i") == "1";
        span = OpenSpan(c, parent_span, true,
                        bold     ? SpanKind::kBold
                        : italic ? SpanKind::kItalic
                                 : SpanKind::kOther);
      }
    }
    for (xmlNodePtr t = c->children; t; t = t->next) {
      if (Is(t, kA, "t")) {
        AddTextOf(t);
      } else if (t->type == XML_ELEMENT_NODE && !Is(t, kA, "rPr")) {
        AddAtom(t, span, true, SpanKind::kVerbatim);
      }
    }
    if (own_span) {
      b_.spans[span].end = b_.text.size();
      last_run_ = span;
      last_key_ = key;
    } else {
      last_run_ = -1;
    }
  }

  void OdfChild(xmlNodePtr c, int parent_span) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) return AddTextOf(c);
    if (c->type != XML_ELEMENT_NODE) {
      AddAtom(c, parent_span, false, SpanKind::kVerbatim);
      return;
    }
    if (Is(c, kText, "span") || Is(c, kText, "a") || Is(c, kText, "meta")) {
      const int span =
          OpenSpan(c, parent_span, false, Is(c, kText, "a") ? SpanKind::kLink : SpanKind::kOther);
      Children(c, span);
      b_.spans[span].end = b_.text.size();
      return;
    }
    if (Is(c, kText, "s")) {  // extra spaces: collapsed, like the rest of the paragraph's whitespace
      AddText(reinterpret_cast<const xmlChar*>(" "));
      return;
    }
    if (Is(c, kText, "tab") || Is(c, kText, "line-break")) {
      AddAtom(c, parent_span, false, SpanKind::kLineBreak);
      return;
    }
    AddAtom(c, parent_span, false, SpanKind::kVerbatim);  // notes, frames, fields, bookmarks, annotations
  }

  Paragraph& p_;
  Block& b_;
  bool space_ = true;
  std::string base_key_;
  int last_run_ = -1;
  std::string last_key_;
  bool in_code_ = false, has_field_ = false;
  int code_depth_ = 0, code_atom_ = -1;
};

// Writes a translated block back into its paragraph element.
class Renderer {
 public:
  Renderer(Paragraph* p, const TranslatedBlock& b) : p_(*p), b_(b) {}

  void Run() {
    xmlNodePtr para = p_.element;
    std::vector<xmlNodePtr> old;
    bool seen_inline = false;
    for (xmlNodePtr c = para->children; c; c = c->next) {
      if (IsKeptParagraphChild(c, p_.dialect)) {
        if (seen_inline && !anchor_) anchor_ = c;
        continue;
      }
      seen_inline = true;
      old.push_back(c);
    }
    for (xmlNodePtr c : old) xmlUnlinkNode(c);
    stack_.push_back({para, -2, false, false});
    RenderCallbacks cb;
    cb.text = [&](std::string_view t) { Text(t); };
    cb.open = [&](const InlineSpan& s) { Open(s); };
    cb.close = [&](const InlineSpan& s) { Close(s); };
    cb.atom = [&](const InlineSpan& s) { Atom(s); };
    RenderBlock(b_, cb);
    while (stack_.size() > 1) Pop();
    for (xmlNodePtr c : old)
      if (!moved_.count(c)) p_.doc->Bury(c);
    xmlReconciliateNs(p_.doc->doc(), para);
  }

 private:
  struct Open_ {
    xmlNodePtr node;
    int span;  // -1: a run we opened for unformatted text; -2: the paragraph; -3: a w:sdt (its content
               // follows)
    bool run;
    bool implicit;
  };

  bool RunDialect() const { return p_.dialect == Dialect::kWord || p_.dialect == Dialect::kDrawing; }

  void Append(xmlNodePtr node) {
    last_t_ = nullptr;
    if (stack_.size() == 1 && anchor_) {
      xmlAddPrevSibling(anchor_, node);
    } else {
      xmlAddChild(stack_.back().node, node);
    }
  }

  // DrawingML requires an a:t in every a:r: a run the projection left without text gets an empty one.
  void Pop() {
    const Open_& top = stack_.back();
    if (top.run && p_.dialect == Dialect::kDrawing) {
      bool has_text = false;
      for (xmlNodePtr c = top.node->children; c && !has_text; c = c->next) has_text = Is(c, kA, "t");
      if (!has_text) xmlNewChild(top.node, p_.element->ns, reinterpret_cast<const xmlChar*>("t"), nullptr);
    }
    stack_.pop_back();
    last_t_ = nullptr;
  }

  void PopImplicit() {
    if (stack_.back().implicit) Pop();
  }

  void EnsureRun() {
    if (stack_.back().run) return;
    xmlNodePtr run =
        xmlNewDocNode(p_.doc->doc(), p_.element->ns, reinterpret_cast<const xmlChar*>("r"), nullptr);
    Append(run);
    if (p_.base_properties) xmlAddChild(run, DeepClone(p_.base_properties));
    stack_.push_back({run, -1, true, true});
  }

  void Text(std::string_view t) {
    if (t.empty()) return;
    const std::string s(t);
    if (!RunDialect()) {
      Append(xmlNewDocTextLen(p_.doc->doc(), reinterpret_cast<const xmlChar*>(s.data()),
                              static_cast<int>(s.size())));
      return;
    }
    EnsureRun();
    if (!last_t_) {
      last_t_ = xmlNewDocNode(p_.doc->doc(), p_.element->ns, reinterpret_cast<const xmlChar*>("t"), nullptr);
      if (p_.dialect == Dialect::kWord) xmlNodeSetSpacePreserve(last_t_, 1);
      xmlAddChild(stack_.back().node, last_t_);
    }
    xmlNodeAddContentLen(last_t_, reinterpret_cast<const xmlChar*>(s.data()), static_cast<int>(s.size()));
  }

  void Open(const InlineSpan& s) {
    const Handle& h = p_.handles[s.id];
    PopImplicit();
    xmlNodePtr node = ShallowClone(h.element);
    Append(node);
    for (xmlNodePtr c = h.element->children; c; c = c->next)
      if (IsPropertyChild(c, h.element)) xmlAddChild(node, DeepClone(c));
    if (Is(h.element, kW, "sdt")) {  // a content control's runs go into its w:sdtContent
      xmlNodePtr content =
          xmlNewChild(node, h.element->ns, reinterpret_cast<const xmlChar*>("sdtContent"), nullptr);
      stack_.push_back({node, -3, false, false});
      node = content;
    }
    stack_.push_back({node, s.id, h.run, false});
    last_t_ = nullptr;
  }

  void Close(const InlineSpan& s) {
    while (stack_.size() > 1) {
      const bool done = stack_.back().span == s.id;
      Pop();
      if (done) break;
    }
    if (stack_.size() > 1 && stack_.back().span == -3) Pop();  // the w:sdt around its w:sdtContent
    last_t_ = nullptr;
  }

  void Atom(const InlineSpan& s) {
    if (s.id < 0) {  // a URL or address TranslateBlocks took out of the text
      Text(s.verbatim);
      return;
    }
    const Handle& h = p_.handles[s.id];
    if (h.run_level && RunDialect()) {
      EnsureRun();
    } else {
      PopImplicit();
    }
    for (xmlNodePtr n : h.nodes) {
      xmlUnlinkNode(n);
      moved_.insert(n);
      Append(n);
    }
  }

  Paragraph& p_;
  const TranslatedBlock& b_;
  std::vector<Open_> stack_;
  xmlNodePtr anchor_ = nullptr;  // a kept child after the inline content (a:endParaRPr): insert before it
  xmlNodePtr last_t_ = nullptr;  // the w:t / a:t text is being appended to
  std::set<xmlNodePtr> moved_;
};

bool IsParagraph(const xmlNode* n, Dialect d) {
  switch (d) {
    case Dialect::kWord:
      return Is(n, kW, "p");
    case Dialect::kDrawing:
      return Is(n, kA, "p");
    case Dialect::kOdf:
      return Is(n, kText, "p") || Is(n, kText, "h");
    case Dialect::kPlain:
      return false;
  }
  return false;
}

// All translated parts of one package: their trees, paragraphs and blocks.
class PackageTranslation {
 public:
  PackageTranslation(ZipPackage* package, const DocumentTranslationOptions& options)
      : package_(*package), options_(options) {}

  StatusOr<XmlDocument*> Load(const std::string& entry) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, package_.Read(entry));
    DOLMETSCH_ASSIGN_OR_RETURN(auto doc, XmlDocument::Parse(bytes, entry, options_.limits.max_xml_bytes));
    parts_.push_back({entry, std::move(doc)});
    return parts_.back().second.get();
  }

  // Every paragraph of the dialect in the part (text boxes, notes and comments inside paragraphs too).
  void AddParagraphs(XmlDocument* doc, Dialect dialect) {
    std::vector<xmlNodePtr> stack = {doc->root()};
    std::vector<xmlNodePtr> found;
    while (!stack.empty()) {
      xmlNodePtr n = stack.back();
      stack.pop_back();
      if (IsParagraph(n, dialect)) found.push_back(n);
      std::vector<xmlNodePtr> kids;
      for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) kids.push_back(c);
      stack.insert(stack.end(), kids.rbegin(), kids.rend());
    }
    for (xmlNodePtr p : found) AddParagraph(doc, p, dialect);
  }

  // One element whose text is a block of its own (a title).
  void AddParagraph(XmlDocument* doc, xmlNodePtr element, Dialect dialect,
                    BlockKind kind = BlockKind::kParagraph) {
    auto p = std::make_unique<Paragraph>();
    p->doc = doc;
    p->element = element;
    p->dialect = dialect;
    Block block;
    block.kind = kind;
    Collector(p.get(), &block).Run();
    if (!HasLetter(block.text)) return;  // left as it is
    paragraphs_.push_back(std::move(p));
    blocks_.push_back(std::move(block));
  }

  Status TranslateAndStore(const TranslateFn& translate, TranslateBlocksStats* stats) {
    if (!blocks_.empty()) {
      DOLMETSCH_ASSIGN_OR_RETURN(auto translated,
                                 TranslateBlocks(blocks_, translate, options_.blocks, stats));
      for (std::size_t i = 0; i < paragraphs_.size(); ++i)
        Renderer(paragraphs_[i].get(), translated[i]).Run();
    }
    for (auto& [entry, doc] : parts_) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, doc->Serialize());
      DOLMETSCH_RETURN_IF_ERROR(package_.Replace(entry, std::move(bytes)));
    }
    return Status::Ok();
  }

 private:
  ZipPackage& package_;
  const DocumentTranslationOptions& options_;
  std::vector<std::pair<std::string, std::unique_ptr<XmlDocument>>> parts_;
  std::vector<std::unique_ptr<Paragraph>> paragraphs_;
  std::vector<Block> blocks_;
};

void AddStats(const TranslateBlocksStats& s, TranslateBlocksStats* total) {
  total->blocks += s.blocks;
  total->sentences += s.sentences;
  total->translated_sentences += s.translated_sentences;
  total->copied_sentences += s.copied_sentences;
  total->calls += s.calls;
  total->aligned_sentences += s.aligned_sentences;
}

// [Content_Types].xml: part name (without the leading '/') -> content type.
StatusOr<std::vector<std::pair<std::string, std::string>>> ContentTypes(const ZipPackage& package,
                                                                        const char* what,
                                                                        const Limits& limits) {
  if (!package.Has("[Content_Types].xml"))
    return Status::InvalidArgument(std::string(what) +
                                   ": the package has no [Content_Types].xml (not an Office Open XML file)");
  DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, package.Read("[Content_Types].xml"));
  DOLMETSCH_ASSIGN_OR_RETURN(auto doc,
                             XmlDocument::Parse(bytes, "[Content_Types].xml", limits.max_xml_bytes));
  std::vector<std::pair<std::string, std::string>> parts;
  for (xmlNodePtr c = doc->root()->children; c; c = c->next) {
    if (!Is(c, kContentTypes, "Override")) continue;
    std::string name = AttributeValue(c, nullptr, "PartName");
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    parts.emplace_back(name, AttributeValue(c, nullptr, "ContentType"));
  }
  return parts;
}

Status TranslateOoxml(ZipPackage* package, bool word, const TranslateFn& translate,
                      const DocumentTranslationOptions& options, TranslateBlocksStats* stats) {
  const char* what = word ? "DOCX" : "PPTX";
  DOLMETSCH_ASSIGN_OR_RETURN(auto types, ContentTypes(*package, what, options.limits));
  const std::vector<std::string> main_types =
      word ? std::vector<std::string>{"wordprocessingml.document.main+xml",
                                      "wordprocessingml.template.main+xml", "document.macroEnabled.main+xml",
                                      "template.macroEnabledTemplate.main+xml"}
           : std::vector<std::string>{"presentationml.presentation.main+xml",
                                      "presentationml.slideshow.main+xml", "presentationml.template.main+xml",
                                      "presentation.macroEnabled.main+xml"};
  const std::vector<std::string> part_types =
      word ? std::vector<std::string>{"wordprocessingml.header+xml", "wordprocessingml.footer+xml",
                                      "wordprocessingml.footnotes+xml", "wordprocessingml.endnotes+xml",
                                      "wordprocessingml.comments+xml"}
           : std::vector<std::string>{"presentationml.slide+xml", "presentationml.notesSlide+xml"};
  auto has_type = [](const std::string& type, const std::vector<std::string>& list) {
    for (const auto& t : list)
      if (EndsWith(type, t)) return true;
    return false;
  };
  std::vector<std::string> entries;
  std::string main;
  for (const auto& [name, type] : types) {
    if (has_type(type, main_types)) {
      main = name;
      if (word) entries.push_back(name);
    } else if (has_type(type, part_types)) {
      entries.push_back(name);
    }
  }
  if (main.empty())
    return Status::InvalidArgument(std::string(what) + ": [Content_Types].xml names no main " +
                                   (word ? "document part (word/document.xml)" : "presentation part") +
                                   "; is this a " + (word ? ".docx" : ".pptx") + " file?");
  if (!package->Has(main))
    return Status::InvalidArgument(std::string(what) + ": the package has no entry \"" + main +
                                   "\" (its main part is missing)");
  PackageTranslation job(package, options);
  for (const std::string& entry : entries) {
    if (!package->Has(entry))
      return Status::InvalidArgument(std::string(what) + ": [Content_Types].xml names \"" + entry +
                                     "\", which the package does not have");
    DOLMETSCH_ASSIGN_OR_RETURN(XmlDocument * doc, job.Load(entry));
    job.AddParagraphs(doc, word ? Dialect::kWord : Dialect::kDrawing);
  }
  return job.TranslateAndStore(translate, stats);
}

Status TranslateOdf(ZipPackage* package, const TranslateFn& translate,
                    const DocumentTranslationOptions& options, TranslateBlocksStats* stats) {
  if (!package->Has("content.xml"))
    return Status::InvalidArgument("OpenDocument: the package has no content.xml");
  PackageTranslation job(package, options);
  for (const char* entry : {"content.xml", "styles.xml"}) {
    if (!package->Has(entry)) continue;
    DOLMETSCH_ASSIGN_OR_RETURN(XmlDocument * doc, job.Load(entry));
    job.AddParagraphs(doc, Dialect::kOdf);
  }
  return job.TranslateAndStore(translate, stats);
}

// A package's hrefs are URLs; one with a malformed escape is taken as written (it then names no entry).
std::string DecodeHref(std::string_view s) {
  StatusOr<std::string> decoded = dolmetsch::PercentDecode(s);
  return decoded.ok() ? std::move(decoded).value() : std::string(s);
}

// `href` relative to the folder of `base` (an entry name), resolved inside the package.
StatusOr<std::string> ResolveEntry(std::string_view base, std::string_view href) {
  std::string path = DecodeHref(href.substr(0, href.find_first_of("#?")));
  std::vector<std::string> parts;
  const std::size_t slash = base.rfind('/');
  std::string joined = (slash == std::string_view::npos ? "" : std::string(base.substr(0, slash + 1))) + path;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    const std::string part = joined.substr(start, end - start);
    if (part == "..") {
      if (parts.empty())
        return Status::InvalidArgument("EPUB: \"" + std::string(href) + "\" points outside the package");
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

bool IsHtmlVoidElement(std::string_view name) {
  static const std::set<std::string, std::less<>> kVoid = {
      "area", "base",  "br",     "col",   "embed", "hr",     "img",      "input",   "link",
      "meta", "param", "source", "track", "wbr",   "keygen", "basefont", "bgsound", "frame"};
  return kVoid.count(name) > 0;
}

// Gives every empty non-void element an empty text child, so libxml2 writes <a id="x"></a>, not <a/>.
// Returns whether it changed anything.
bool GiveEmptyElementsEndTags(xmlNodePtr root) {
  bool changed = false;
  std::vector<xmlNodePtr> stack = {root};
  while (!stack.empty()) {
    xmlNodePtr n = stack.back();
    stack.pop_back();
    if (n->type != XML_ELEMENT_NODE) continue;
    if (!n->children && !IsHtmlVoidElement(Name(n))) {
      xmlAddChild(n, xmlNewDocText(n->doc, reinterpret_cast<const xmlChar*>("")));
      changed = true;
    }
    for (xmlNodePtr c = n->children; c; c = c->next) stack.push_back(c);
  }
  return changed;
}

Status TranslateEpub(ZipPackage* package, const TranslateFn& translate,
                     const DocumentTranslationOptions& options, TranslateBlocksStats* stats) {
  if (!package->Has("META-INF/container.xml"))
    return Status::InvalidArgument("EPUB: the package has no META-INF/container.xml");
  std::string opf;
  {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, package->Read("META-INF/container.xml"));
    DOLMETSCH_ASSIGN_OR_RETURN(
        auto container, XmlDocument::Parse(bytes, "META-INF/container.xml", options.limits.max_xml_bytes));
    std::vector<xmlNodePtr> stack = {container->root()};
    while (!stack.empty() && opf.empty()) {
      xmlNodePtr n = stack.back();
      stack.pop_back();
      if (Is(n, kContainer, "rootfile")) opf = AttributeValue(n, nullptr, "full-path");
      for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) stack.push_back(c);
    }
  }
  if (opf.empty()) return Status::InvalidArgument("EPUB: META-INF/container.xml names no rootfile (the OPF)");
  DOLMETSCH_ASSIGN_OR_RETURN(opf, ResolveEntry("", opf));
  if (!package->Has(opf))
    return Status::InvalidArgument("EPUB: the package has no entry \"" + opf + "\" (its OPF)");

  PackageTranslation job(package, options);
  DOLMETSCH_ASSIGN_OR_RETURN(XmlDocument * opf_doc, job.Load(opf));
  std::vector<std::string> chapters;
  std::string ncx;
  std::vector<xmlNodePtr> stack = {opf_doc->root()};
  while (!stack.empty()) {
    xmlNodePtr n = stack.back();
    stack.pop_back();
    if (Is(n, kDc, "title")) job.AddParagraph(opf_doc, n, Dialect::kPlain, BlockKind::kTitle);
    if (Is(n, kOpf, "item")) {
      const std::string type = AttributeValue(n, nullptr, "media-type");
      if (type == "application/xhtml+xml" || type == "application/x-dtbncx+xml") {
        DOLMETSCH_ASSIGN_OR_RETURN(std::string entry, ResolveEntry(opf, AttributeValue(n, nullptr, "href")));
        if (!package->Has(entry))
          return Status::InvalidArgument("EPUB: the manifest lists \"" + entry +
                                         "\", which the package does not have");
        if (type == "application/x-dtbncx+xml") {
          ncx = entry;
        } else if (std::find(chapters.begin(), chapters.end(), entry) == chapters.end()) {
          chapters.push_back(entry);
        }
      }
    }
    std::vector<xmlNodePtr> kids;
    for (xmlNodePtr c = n->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE) kids.push_back(c);
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
  if (!ncx.empty()) {  // EPUB 2 table of contents: the labels people read
    DOLMETSCH_ASSIGN_OR_RETURN(XmlDocument * ncx_doc, job.Load(ncx));
    std::vector<xmlNodePtr> nodes = {ncx_doc->root()};
    while (!nodes.empty()) {
      xmlNodePtr n = nodes.back();
      nodes.pop_back();
      if (Is(n, kNcx, "text")) job.AddParagraph(ncx_doc, n, Dialect::kPlain, BlockKind::kHeading);
      for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) nodes.push_back(c);
    }
  }
  DOLMETSCH_RETURN_IF_ERROR(job.TranslateAndStore(translate, stats));

  // Chapters go through the HTML path (gumbo), which copies every byte it does not translate.
  for (const std::string& chapter : chapters) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, package->Read(chapter));
    // The same XML rules as every other part (no entities) and a well-formedness check before ...
    DOLMETSCH_ASSIGN_OR_RETURN(auto xhtml, XmlDocument::Parse(bytes, chapter, options.limits.max_xml_bytes));
    // An empty non-void element (<a id="x"/>) would be opened by the HTML parser and take the following
    // content in; such a chapter is written again by libxml2 with an explicit end tag for it first.
    if (GiveEmptyElementsEndTags(xhtml->root())) {
      DOLMETSCH_ASSIGN_OR_RETURN(bytes, xhtml->Serialize());
    }
    // The XML declaration can only be at byte 0; the HTML parser would take it for a comment and write it
    // after the doctype, so it is set aside and put back.
    std::string declaration;
    if (bytes.rfind("<?xml", 0) == 0) {
      std::size_t end = bytes.find("?>");
      end = end == std::string::npos ? bytes.size() : end + 2;
      while (end < bytes.size() && (bytes[end] == '\n' || bytes[end] == '\r' || bytes[end] == ' ')) ++end;
      declaration = bytes.substr(0, end);
      bytes.erase(0, end);
    }
    TranslateBlocksStats chapter_stats;
    auto translated = TranslateHtml(bytes, translate, options, &chapter_stats);
    if (!translated.ok()) return translated.status().WithContext(chapter);
    translated->insert(0, declaration);
    // ... and after: an XHTML construct the HTML parser reads differently must not give a broken book.
    auto check = XmlDocument::Parse(*translated, chapter, options.limits.max_xml_bytes);
    if (!check.ok())
      return Status::Unsupported(
          "EPUB: the translation of " + chapter + " would not be well-formed XHTML (" +
          check.status().message() +
          "); self-closing non-void elements such as <a id=\"x\"/> are not supported yet");
    if (stats) AddStats(chapter_stats, stats);
    DOLMETSCH_RETURN_IF_ERROR(package->Replace(chapter, std::move(*translated)));
  }
  return Status::Ok();
}

}  // namespace

bool IsPackageFormat(Format format) {
  return format == Format::kDocx || format == Format::kPptx || format == Format::kOdt ||
         format == Format::kOdp || format == Format::kEpub;
}

StatusOr<Format> DetectPackageFormat(std::string_view content, const Limits& limits) {
  DOLMETSCH_ASSIGN_OR_RETURN(auto package, ZipPackage::Open(content, limits.zip));
  if (package->Has("mimetype")) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string type, package->Read("mimetype"));
    while (!type.empty() && (type.back() == '\n' || type.back() == '\r' || type.back() == ' '))
      type.pop_back();
    if (type == "application/vnd.oasis.opendocument.text") return Format::kOdt;
    if (type == "application/vnd.oasis.opendocument.presentation") return Format::kOdp;
    if (type == "application/epub+zip") return Format::kEpub;
    return Status::Unsupported("a zip package of type \"" + type.substr(0, 100) +
                               "\" is not supported (docx, pptx, odt, odp, epub are)");
  }
  if (package->Has("[Content_Types].xml")) {
    DOLMETSCH_ASSIGN_OR_RETURN(auto types, ContentTypes(*package, "package", limits));
    for (const auto& [name, type] : types) {
      if (type.find("wordprocessingml.document.main+xml") != std::string::npos ||
          type.find("wordprocessingml.template.main+xml") != std::string::npos ||
          type.find("ms-word.document.macroEnabled.main+xml") != std::string::npos)
        return Format::kDocx;
      if (type.find("presentationml.presentation.main+xml") != std::string::npos ||
          type.find("presentationml.slideshow.main+xml") != std::string::npos)
        return Format::kPptx;
    }
    return Status::Unsupported(
        "an Office Open XML package that is neither a word-processing document nor a presentation (xlsx is "
        "not "
        "supported)");
  }
  return Status::Unsupported(
      "a zip file that is not an office document (no mimetype, no [Content_Types].xml)");
}

StatusOr<std::string> TranslatePackage(std::string_view input, Format format, const TranslateFn& translate,
                                       const DocumentTranslationOptions& options,
                                       TranslateBlocksStats* stats) {
  if (input.size() > options.limits.max_input_bytes)
    return Status::ResourceExhausted(std::string(FormatName(format)) + ": the file has " +
                                     std::to_string(input.size()) + " bytes; the limit is " +
                                     std::to_string(options.limits.max_input_bytes));
  auto opened = ZipPackage::Open(input, options.limits.zip);
  if (!opened.ok()) return opened.status().WithContext(FormatName(format));
  ZipPackage& package = **opened;
  TranslateBlocksStats local;
  TranslateBlocksStats* s = stats ? stats : &local;
  Status status;
  switch (format) {
    case Format::kDocx:
      status = TranslateOoxml(&package, true, translate, options, s);
      break;
    case Format::kPptx:
      status = TranslateOoxml(&package, false, translate, options, s);
      break;
    case Format::kOdt:
    case Format::kOdp:
      status = TranslateOdf(&package, translate, options, s);
      break;
    case Format::kEpub:
      status = TranslateEpub(&package, translate, options, s);
      break;
    default:
      return Status::InvalidArgument(std::string(FormatName(format)) + " is not a package format");
  }
  if (!status.ok()) return status;
  return package.Write();
}

}  // namespace dolmetsch::markup
