// A mounted test with a data file users.db in the source directory (keys
// 0, 3, 6, ..., value = the key in decimal), and the two independent answers
// every query through the mount is compared with: libchase on the backing
// file, and the tests' oracle reader.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bptree_reader.h"
#include "chase/chase.h"
#include "mount_fixture.h"

namespace fuse_test {

class QueryTest : public MountedTest {
   protected:
    static constexpr unsigned kKeys = 3000, kStride = 3;
    void SetUp() override;

    // libchase's answer for KEY on the backing file (nullopt: absent).
    std::optional<std::string> lib_get(const std::string &key);
    std::optional<std::string> oracle_get(uint64_t key);
    // The range answer as the daemon formats it, built from the oracle.
    std::string oracle_range_text(uint64_t lo, uint64_t hi, size_t limit = 0);

    std::shared_ptr<chase::DataFile> file_;
    std::unique_ptr<chase::Session> session_;
    oracle::BptreeReader reader_;
};

}  // namespace fuse_test
