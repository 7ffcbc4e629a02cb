#include "hub/console_observer.h"

#include <gtest/gtest.h>

#include <sstream>

namespace dolmetsch::hub {
namespace {

FetchedFile Finished(const std::string& name, FetchedFile::Outcome outcome, uint64_t size,
                     const char* verified) {
  FetchedFile file;
  file.name = name;
  file.outcome = outcome;
  file.size = size;
  file.verified_by = verified;
  return file;
}

TEST(ConsoleObserver, PlainModeWritesWholeLinesWithoutEscapes) {
  std::ostringstream out;
  auto observer = MakeConsoleObserver(out, /*is_terminal=*/false);
  observer->OnTransferStart("model.safetensors", 0, 300000000);
  for (uint64_t done = 0; done <= 300000000; done += 1000000)
    observer->OnTransferProgress("model.safetensors", done, 300000000);
  observer->OnFileFinished(
      Finished("model.safetensors", FetchedFile::Outcome::kDownloaded, 300000000, "sha256"));
  observer->OnTransferStart("source.spm", 1000, 250000);
  observer->OnFileFinished(Finished("source.spm", FetchedFile::Outcome::kResumed, 250000, "sha256"));
  observer->OnFileFinished(Finished("generation_config.json", FetchedFile::Outcome::kAbsent, 0, "size"));
  observer->OnFileFinished(Finished("vocab.json", FetchedFile::Outcome::kAlreadyPresent, 23414, "git-sha1"));
  observer->OnNotice("retrying");
  EXPECT_EQ(out.str(),
            "fetch-model: model.safetensors: downloading 300.0 MB\n"
            "fetch-model: model.safetensors: 300.0 MB, sha256 verified\n"
            "fetch-model: source.spm: resuming at 1.0 kB of 250.0 kB\n"
            "fetch-model: source.spm: resumed, 250.0 kB, sha256 verified\n"
            "fetch-model: generation_config.json: not in the repository (optional)\n"
            "fetch-model: vocab.json: already complete (23.4 kB, git-sha1 matches)\n"
            "fetch-model: retrying\n");
}

TEST(ConsoleObserver, TerminalModeDrawsABarAndEndsAtHundredPercent) {
  std::ostringstream out;
  auto observer = MakeConsoleObserver(out, /*is_terminal=*/true);
  observer->OnTransferStart("model.safetensors", 0, 1000);
  for (uint64_t done = 100; done <= 1000; done += 100)
    observer->OnTransferProgress("model.safetensors", done, 1000);
  std::string bar = out.str();
  EXPECT_NE(bar.find("\r\033[Kmodel.safetensors [.............................."), std::string::npos) << bar;
  EXPECT_NE(bar.find("[##############################] 100% 1.0 kB/1.0 kB"), std::string::npos) << bar;
  EXPECT_EQ(bar.find('\n'), std::string::npos);  // redrawn in place
  observer->OnFileFinished(Finished("model.safetensors", FetchedFile::Outcome::kDownloaded, 1000, "sha256"));
  EXPECT_NE(out.str().find("\r\033[Kfetch-model: model.safetensors: 1.0 kB, sha256 verified\n"),
            std::string::npos);
}

TEST(FormatBytes, DecimalUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1400), "1.4 kB");
  EXPECT_EQ(FormatBytes(298000000), "298.0 MB");
  EXPECT_EQ(FormatBytes(2500000000ULL), "2.5 GB");
}

}  // namespace
}  // namespace dolmetsch::hub
