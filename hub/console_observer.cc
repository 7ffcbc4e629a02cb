#include "hub/console_observer.h"

#include <chrono>
#include <iomanip>
#include <sstream>

namespace dolmetsch::hub {
namespace {

using Clock = std::chrono::steady_clock;

class ConsoleObserver : public FetchObserver {
 public:
  ConsoleObserver(std::ostream& out, bool is_terminal) : out_(out), terminal_(is_terminal) {}

  void OnTransferStart(const std::string& file, uint64_t offset, uint64_t total) override {
    start_ = Clock::now();
    last_draw_ = Clock::time_point();
    start_offset_ = offset;
    if (terminal_) {
      Draw(file, offset, total);
      return;
    }
    out_ << "fetch-model: " << file << ": "
         << (offset > 0 ? "resuming at " + FormatBytes(offset) + " of " : "downloading ")
         << (total > 0 ? FormatBytes(total) : std::string("unknown size")) << "\n"
         << std::flush;
  }

  void OnTransferProgress(const std::string& file, uint64_t done, uint64_t total) override {
    if (!terminal_) return;
    Clock::time_point now = Clock::now();
    if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    Draw(file, done, total);
  }

  void OnFileFinished(const FetchedFile& file) override {
    if (terminal_ && bar_drawn_) out_ << "\r\033[K";
    bar_drawn_ = false;
    out_ << "fetch-model: " << file.name << ": ";
    switch (file.outcome) {
      case FetchedFile::Outcome::kAbsent:
        out_ << "not in the repository (optional)";
        break;
      case FetchedFile::Outcome::kAlreadyPresent:
        out_ << "already complete (" << FormatBytes(file.size) << ", " << file.verified_by << " matches)";
        break;
      case FetchedFile::Outcome::kDownloaded:
      case FetchedFile::Outcome::kResumed:
        out_ << (file.outcome == FetchedFile::Outcome::kResumed ? "resumed, " : "") << FormatBytes(file.size)
             << ", "
             << (file.verified_by == "size" ? "size checked (no digest from the hub)"
                                            : file.verified_by + " verified");
        break;
    }
    out_ << "\n" << std::flush;
  }

  void OnNotice(const std::string& text) override {
    if (terminal_ && bar_drawn_) out_ << "\r\033[K";
    bar_drawn_ = false;
    out_ << "fetch-model: " << text << "\n" << std::flush;
  }

 private:
  void Draw(const std::string& file, uint64_t done, uint64_t total) {
    last_draw_ = Clock::now();
    constexpr int kWidth = 30;
    std::ostringstream line;
    line << "\r\033[K" << file << " ";
    if (total > 0) {
      double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      int filled = static_cast<int>(fraction * kWidth);
      line << "[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] " << std::setw(3)
           << static_cast<int>(fraction * 100) << "% " << FormatBytes(done) << "/" << FormatBytes(total);
    } else {
      line << FormatBytes(done);
    }
    double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
    if (seconds > 0.5 && done > start_offset_) {
      line << "  " << FormatBytes(static_cast<uint64_t>((done - start_offset_) / seconds)) << "/s";
    }
    out_ << line.str() << std::flush;
    bar_drawn_ = true;
  }

  std::ostream& out_;
  const bool terminal_;
  bool bar_drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  uint64_t start_offset_ = 0;
};

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (bytes >= 1000000000) {
    out << static_cast<double>(bytes) / 1e9 << " GB";
  } else if (bytes >= 1000000) {
    out << static_cast<double>(bytes) / 1e6 << " MB";
  } else if (bytes >= 1000) {
    out << static_cast<double>(bytes) / 1e3 << " kB";
  } else {
    out << bytes << " B";
  }
  return out.str();
}

std::unique_ptr<FetchObserver> MakeConsoleObserver(std::ostream& out, bool is_terminal) {
  return std::make_unique<ConsoleObserver>(out, is_terminal);
}

}  // namespace dolmetsch::hub
