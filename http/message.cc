#include "http/message.h"

#include <atomic>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <cstdio>
#include <ostream>  // before Boost 1.74: its string_view needs it complete (GCC 12)
#include <random>

namespace dolmetsch::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool Request::HasHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (EqualsIgnoreCase(header.first, name)) return true;
  }
  return false;
}

void Response::Set(std::string_view name, std::string value) {
  Remove(name);
  headers.emplace_back(std::string(name), std::move(value));
}

void Response::Add(std::string_view name, std::string value) {
  headers.emplace_back(std::string(name), std::move(value));
}

std::string Response::Get(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool Response::Has(std::string_view name) const {
  for (const auto& header : headers) {
    if (EqualsIgnoreCase(header.first, name)) return true;
  }
  return false;
}

void Response::Remove(std::string_view name) {
  std::erase_if(headers, [&](const auto& header) { return EqualsIgnoreCase(header.first, name); });
}

void Response::SetContent(std::string content, std::string content_type) {
  body = std::move(content);
  Set("Content-Type", std::move(content_type));
}

std::string_view ReasonPhrase(int status) {
  auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return std::string_view(reason.data(), reason.size());
}

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' && c != '-')
      return false;
  }
  return true;
}

std::string NewRequestId() {
  // A random 32-bit prefix per process and a counter: unique here, and two replicas do not collide.
  static const unsigned prefix = [] {
    std::random_device device;
    return static_cast<unsigned>(device());
  }();
  static std::atomic<unsigned> counter{0};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", prefix, counter.fetch_add(1, std::memory_order_relaxed));
  return buf;
}

}  // namespace dolmetsch::http
