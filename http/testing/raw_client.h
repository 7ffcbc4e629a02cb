// RawClient: blocking loopback sockets for tests of HTTP servers: send exact bytes (malformed, pipelined,
// trickled), half-close, and parse what comes back (Content-Length or chunked answers, several in a row).
// Not a general client. Thread-safety: free functions; each socket used by one thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace dolmetsch::http::testing {

struct Reply {
  int status = 0;                              // 0: no complete answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Connects to 127.0.0.1:port; -1 on failure. Reads and writes time out after timeout_ms.
inline int Connect(int port, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF, error or the socket's timeout.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// True when the peer closed the connection within timeout_ms (EOF or reset), after reading what was left.
inline bool ClosedWithin(int fd, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now())
            .count());
    if (::poll(&p, 1, std::max(1, left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
  }
  return false;
}

// Parses one answer at the start of `data` and removes it; status 0 when incomplete.
inline Reply TakeReply(std::string& data, bool head = false) {
  Reply r;
  size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos || data.compare(0, 9, "HTTP/1.1 ") != 0) return r;
  int status = std::atoi(data.c_str() + 9);
  std::map<std::string, std::string> headers;
  size_t line = data.find("\r\n") + 2;
  while (line < end) {
    size_t next = data.find("\r\n", line);
    std::string field = data.substr(line, next - line);
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      std::string name = field.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      size_t v = field.find_first_not_of(' ', colon + 1);
      headers[name] = v == std::string::npos ? "" : field.substr(v);
    }
    line = next + 2;
  }
  size_t pos = end + 4;
  std::string body;
  bool no_body = head || status == 204 || status == 304 || (status >= 100 && status < 200);
  if (no_body) {
  } else if (headers.count("transfer-encoding")) {
    for (;;) {
      size_t eol = data.find("\r\n", pos);
      if (eol == std::string::npos) return r;
      size_t size = std::strtoul(data.substr(pos, eol - pos).c_str(), nullptr, 16);
      if (data.size() < eol + 2 + size + 2) return r;
      body.append(data, eol + 2, size);
      pos = eol + 2 + size + 2;
      if (size == 0) break;
    }
  } else if (headers.count("content-length")) {
    size_t size = std::strtoul(headers["content-length"].c_str(), nullptr, 10);
    if (data.size() < pos + size) return r;
    body = data.substr(pos, size);
    pos += size;
  } else {
    body = data.substr(pos);  // ends with the connection
    pos = data.size();
  }
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  data.erase(0, pos);
  return r;
}

// Every complete answer in `data` (interim 1xx answers included), in order.
inline std::vector<Reply> TakeReplies(std::string data) {
  std::vector<Reply> out;
  for (;;) {
    Reply r = TakeReply(data);
    if (r.status == 0) break;
    out.push_back(std::move(r));
  }
  return out;
}

// One request on its own connection with "Connection: close"; the answer (status 0 when none).
inline Reply Exchange(int port, const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& extra_headers = "",
                      int timeout_ms = 10000) {
  int fd = Connect(port, timeout_ms);
  if (fd < 0) return {};
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  SendAll(fd, req);
  std::string data = ReadAll(fd);
  ::close(fd);
  return TakeReply(data, method == "HEAD");
}

}  // namespace dolmetsch::http::testing
