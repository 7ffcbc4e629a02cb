// libxml2 with entities off: see xml_document.h.
#include "markup/xml_document.h"

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include <cstring>
#include <mutex>

namespace dolmetsch::markup {
namespace {

struct ParseGuard {
  std::string refused;  // why the parser was stopped
};

void RefuseEntity(void* ctx, const xmlChar* name, int, const xmlChar*, const xmlChar*, xmlChar*) {
  auto* parser = static_cast<xmlParserCtxtPtr>(ctx);
  auto* guard = static_cast<ParseGuard*>(parser->_private);
  if (guard && guard->refused.empty())
    guard->refused = "declares the entity \"" + std::string(reinterpret_cast<const char*>(name)) +
                     "\" (entity declarations are refused: external entities, entity expansion)";
  xmlStopParser(parser);
}

void RefuseUnparsedEntity(void* ctx, const xmlChar* name, const xmlChar* public_id, const xmlChar* system_id,
                          const xmlChar*) {
  RefuseEntity(ctx, name, 0, public_id, system_id, nullptr);
}

std::once_flag init_once;

}  // namespace

StatusOr<std::unique_ptr<XmlDocument>> XmlDocument::Parse(std::string_view bytes, std::string_view what,
                                                          std::size_t max_bytes) {
  std::call_once(init_once, [] { xmlInitParser(); });
  const std::string name(what);
  if (bytes.size() > max_bytes)
    return Status::ResourceExhausted(name + ": " + std::to_string(bytes.size()) +
                                     " bytes of XML; the limit is " + std::to_string(max_bytes));
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
    return Status::ResourceExhausted(name + ": too large for the XML parser");
  xmlParserCtxtPtr parser = xmlNewParserCtxt();
  if (!parser) return Status::Internal(name + ": cannot create an XML parser");
  ParseGuard guard;
  parser->_private = &guard;
  parser->sax->entityDecl = RefuseEntity;
  parser->sax->unparsedEntityDecl = RefuseUnparsedEntity;
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDocPtr doc =
      xmlCtxtReadMemory(parser, bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, options);
  std::string error;
  if (!guard.refused.empty()) {
    error = name + ": " + guard.refused;
  } else if (!doc || !parser->wellFormed) {
    const xmlError* e = xmlCtxtGetLastError(parser);
    std::string message = e && e->message ? e->message : "not well-formed";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    error = name + ": not well-formed XML" +
            (e ? " (line " + std::to_string(e->line) + ": " + message + ")" : "");
  }
  xmlFreeParserCtxt(parser);
  if (!error.empty()) {
    if (doc) xmlFreeDoc(doc);
    return Status::InvalidArgument(error);
  }
  if (!xmlDocGetRootElement(doc)) {
    xmlFreeDoc(doc);
    return Status::InvalidArgument(name + ": no root element");
  }
  std::unique_ptr<XmlDocument> out(new XmlDocument());
  out->doc_ = doc;
  out->what_ = name;
  return out;
}

XmlDocument::~XmlDocument() {
  for (xmlNodePtr n : buried_) xmlFreeNode(n);
  if (doc_) xmlFreeDoc(doc_);
}

void XmlDocument::Bury(xmlNodePtr node) {
  xmlUnlinkNode(node);
  buried_.push_back(node);
}

StatusOr<std::string> XmlDocument::Serialize() const {
  xmlBufferPtr buffer = xmlBufferCreate();
  if (!buffer) return Status::Internal(what_ + ": out of memory");
  xmlSaveCtxtPtr save = xmlSaveToBuffer(buffer, "UTF-8", XML_SAVE_NO_XHTML);
  if (!save) {
    xmlBufferFree(buffer);
    return Status::Internal(what_ + ": cannot serialize");
  }
  const long rc = xmlSaveDoc(save, doc_);
  xmlSaveClose(save);
  std::string out;
  if (rc >= 0) out.assign(reinterpret_cast<const char*>(xmlBufferContent(buffer)), xmlBufferLength(buffer));
  xmlBufferFree(buffer);
  if (rc < 0) return Status::Internal(what_ + ": cannot serialize");
  return out;
}

std::string_view NamespaceOf(const xmlNode* node) {
  if (!node || !node->ns || !node->ns->href) return {};
  return reinterpret_cast<const char*>(node->ns->href);
}

bool Is(const xmlNode* node, const char* ns, const char* name) {
  return node && node->type == XML_ELEMENT_NODE &&
         !std::strcmp(reinterpret_cast<const char*>(node->name), name) && NamespaceOf(node) == ns;
}

std::string AttributeValue(const xmlNode* node, const char* ns, const char* name) {
  xmlChar* v =
      ns ? xmlGetNsProp(node, reinterpret_cast<const xmlChar*>(name), reinterpret_cast<const xmlChar*>(ns))
         : xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

}  // namespace dolmetsch::markup
