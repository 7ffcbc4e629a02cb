// XmlDocument: libxml2 parsing with the settings hostile files need, and serialization back to UTF-8.
//
// Parsing never loads or expands anything from outside the bytes given: no external DTD
// (no XML_PARSE_DTDLOAD), no entity substitution (no XML_PARSE_NOENT), no network (XML_PARSE_NONET), and
// any entity declaration (<!ENTITY ...> in a DOCTYPE: XXE, "billion laughs") stops the parser at once
// with InvalidArgument, before a reference could be expanded. A DOCTYPE without entity declarations
// (XHTML's) is accepted. libxml2's default limits apply (no XML_PARSE_HUGE: nesting depth 256, one text
// node at most 10 MB), and the input must be at most `max_bytes`. Errors name the part (`what`) and the
// line. Nothing is printed to stderr.
//
// Thread-safety: one document per thread at a time; libxml2 is initialized once (xmlInitParser) on first
// use.
#pragma once

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::markup {

class XmlDocument {
 public:
  static StatusOr<std::unique_ptr<XmlDocument>> Parse(std::string_view bytes, std::string_view what,
                                                      std::size_t max_bytes = 64u << 20);
  ~XmlDocument();
  XmlDocument(const XmlDocument&) = delete;
  XmlDocument& operator=(const XmlDocument&) = delete;

  xmlDocPtr doc() const { return doc_; }
  xmlNodePtr root() const { return xmlDocGetRootElement(doc_); }
  // UTF-8, with an XML declaration (standalone kept).
  StatusOr<std::string> Serialize() const;
  // Nodes unlinked from the tree whose memory must live until the document is freed (their namespace
  // declarations may still be referenced); freed before the document.
  void Bury(xmlNodePtr node);

 private:
  XmlDocument() = default;
  xmlDocPtr doc_ = nullptr;
  std::string what_;
  std::vector<xmlNodePtr> buried_;
};

// The namespace URI of an element or attribute ("" for none) and its local name.
std::string_view NamespaceOf(const xmlNode* node);
bool Is(const xmlNode* node, const char* ns, const char* name);
// The value of an attribute by namespace (nullptr: none) and local name; "" when absent.
std::string AttributeValue(const xmlNode* node, const char* ns, const char* name);

}  // namespace dolmetsch::markup
