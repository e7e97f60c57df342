// Shared pieces of the format suites: random records, and running many
// lookups through a Session with their answers compared to an oracle.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <random>
#include <string>

#include "engine_fixture.h"

namespace chase_test {

// n random bytes (any value 0..255).
inline std::string random_bytes(std::mt19937_64 &rng, size_t n) {
    std::string s(n, '\0');
    for (auto &c : s) c = char(rng() & 0xff);
    return s;
}

inline size_t random_size(std::mt19937_64 &rng, size_t lo, size_t hi) {
    return lo + size_t(rng() % (hi - lo + 1));
}

inline std::string hexed(const std::string &s) {
    static const char *d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s.substr(0, 48)) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return s.size() > 48 ? out + "..." : out;
}

// Looks every key up asynchronously (many chains in flight) and compares
// the answer with expect(key): a value, or nullopt for "absent" (ENOENT).
inline void check_lookups(
    chase::Session &s, const chase::DataFile &f, const std::vector<std::string> &keys,
    const std::function<std::optional<std::string>(const std::string &)> &expect,
    const char *what) {
    size_t bad = 0;
    for (const std::string &k : keys) {
        std::optional<std::string> want = expect(k);
        chase::Status st =
            s.submit_get(f, k, [&bad, want, k, what](const chase::Status &st, std::string_view v) {
                bool ok = want ? (st.ok() && v == *want) : st.err == ENOENT;
                if (!ok && bad++ < 5)
                    ADD_FAILURE() << what << ": key " << hexed(k) << ": got "
                                  << (st.ok() ? "value " + hexed(std::string(v)) : st.to_string())
                                  << ", want " << (want ? "value " + hexed(*want) : "ENOENT");
            });
        ASSERT_TRUE(st.ok()) << st.to_string();
    }
    chase::Status st = s.drain();
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << keys.size() << " lookups wrong";
}

}  // namespace chase_test
