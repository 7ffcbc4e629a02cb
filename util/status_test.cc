#include "util/status.h"

#include <gtest/gtest.h>

namespace dolmetsch {
namespace {

StatusOr<int> ParsePositive(int x) {
  if (x <= 0) return Status::InvalidArgument("expected a positive number, got " + std::to_string(x));
  return x;
}

Status UseIt(int x, int* out) {
  DOLMETSCH_ASSIGN_OR_RETURN(*out, ParsePositive(x));
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = Status::Corruption("file.bin: truncated");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.ToString(), "corruption: file.bin: truncated");
  EXPECT_EQ(s.WithContext("model").message(), "model: file.bin: truncated");
}

TEST(StatusTest, AssignOrReturnPropagates) {
  int v = 0;
  EXPECT_TRUE(UseIt(3, &v).ok());
  EXPECT_EQ(v, 3);
  Status s = UseIt(-1, &v);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(v, 3);
}

TEST(StatusTest, StatusOrFromOkStatusIsAnError) {
  StatusOr<int> x{Status::Ok()};
  EXPECT_FALSE(x.ok());
  EXPECT_EQ(x.status().code(), Status::Code::kInternal);
}

}  // namespace
}  // namespace dolmetsch
