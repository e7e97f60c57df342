// read_tsv on random files (hundreds of KiB, so lines cross the reader's
// 64 KiB chunks) against a reference classifier written independently:
// the first bad line is the one reported, and a good file gives exactly the
// model's records.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "temp_dir.h"
#include "tsv_input.h"

namespace {

// The rules of tsv_input.h, restated: digits-only key of at most u64 max
// (leading zeros allowed), a tab, a value of at most 63 bytes without NUL,
// no empty lines, lines of at most 4096 bytes.
struct Reference {
    std::optional<uint64_t> bad_line;
    std::map<uint64_t, std::string> model;
    std::map<uint64_t, uint64_t> first_line;
    std::optional<uint64_t> dup_line;

    static bool key_fits(const std::string &digits) {
        size_t nz = digits.find_first_not_of('0');
        std::string sig = nz == std::string::npos ? "0" : digits.substr(nz);
        const std::string max = "18446744073709551615";
        return sig.size() < max.size() || (sig.size() == max.size() && sig <= max);
    }

    void line(uint64_t no, std::string text) {
        if (bad_line) return;
        bool ok = text.size() <= 4096;
        if (!text.empty() && text.back() == '\r') text.pop_back();
        size_t tab = text.find('\t');
        std::string key = tab == std::string::npos ? "" : text.substr(0, tab);
        std::string value = tab == std::string::npos ? "" : text.substr(tab + 1);
        ok = ok && tab != std::string::npos && !key.empty();
        for (char c : key) ok = ok && c >= '0' && c <= '9';
        ok = ok && key_fits(key) && value.size() <= 63 && value.find('\0') == std::string::npos;
        if (!ok) {
            bad_line = no;
            return;
        }
        uint64_t k = std::stoull(key);
        if (first_line.count(k)) {
            if (!dup_line) dup_line = no;
            return;
        }
        first_line[k] = no;
        model[k] = value;
    }
};

std::string random_line(std::mt19937_64 &rng, bool bad) {
    auto digits = [&](int n) {
        std::string s;
        for (int i = 0; i < n; i++) s += char('0' + rng() % 10);
        return s;
    };
    auto text = [&](size_t n) {
        std::string s;
        for (size_t i = 0; i < n; i++) s += char(rng() % 8 == 0 ? '\t' : ' ' + rng() % 95);
        return s;
    };
    // Keys from a space so large that accidental duplicates do not happen;
    // some with leading zeros (the same number as without them).
    std::string key = (rng() % 10 == 0 ? "000" : "") + std::to_string(rng() % 1000000000000ull);
    std::string line = key + "\t" + text(rng() % 64);
    if (rng() % 20 == 0) line += "\r";
    if (!bad) return line;
    switch (rng() % 8) {
        case 0:
            return key + "\t" + text(64 + rng() % 200);  // overlong value
        case 1:
            return key + "x\tv";  // non-digit key
        case 2:
            return key + " v";  // no tab
        case 3:
            return key + "\tab" + std::string(1, '\0') + "c";  // NUL
        case 4:
            return "18446744073709551616\tv";  // just too big
        case 5:
            return digits(21 + rng() % 5) + "1\tv";  // many digits
        case 6:
            return "";  // empty line
        default:
            return key + "\t" + std::string(5000 + rng() % 70000, 'z');  // huge line
    }
}

TEST(TsvProperty, FirstBadLineOrExactRecords) {
    tools_test::TempDir dir;
    std::mt19937_64 rng(2026);
    int clean = 0, bad = 0, dup = 0;
    for (int round = 0; round < 45; round++) {
        int lines = 2000 + int(rng() % 8000);
        int mode = round % 3;  // 0 clean, 1 one bad line, 2 one duplicated key
        int bad_at = mode == 1 ? int(rng() % lines) : -1;
        int dup_at = mode == 2 ? 1 + int(rng() % (lines - 1)) : -1;
        std::string body, dup_key;
        Reference ref;
        for (int i = 0; i < lines; i++) {
            std::string l = random_line(rng, i == bad_at);
            if (i == 0) dup_key = l.substr(0, l.find('\t'));
            if (i == dup_at) l = "0" + dup_key + "\tagain";  // same number, other spelling
            ref.line(uint64_t(i + 1), l);
            body += l;
            if (i + 1 < lines || rng() % 2) body += "\n";
        }
        std::string path = dir / ("r" + std::to_string(round) + ".tsv");
        std::ofstream(path, std::ios::binary) << body;

        std::vector<mkindex::Record> recs;
        mkindex::BuildError e = mkindex::read_tsv(path, &recs);
        std::optional<uint64_t> want = ref.bad_line ? ref.bad_line : ref.dup_line;
        if (want) {
            ASSERT_FALSE(e.ok()) << "round " << round << ": line " << *want << " not rejected";
            EXPECT_EQ(e.err, EINVAL);
            std::string prefix = path + ":" + std::to_string(*want) + ": ";
            EXPECT_EQ(e.msg.rfind(prefix, 0), 0u) << "round " << round << ": " << e.msg;
            (ref.bad_line ? bad : dup)++;
            continue;
        }
        clean++;
        ASSERT_TRUE(e.ok()) << "round " << round << ": " << e.msg;
        ASSERT_EQ(recs.size(), ref.model.size());
        auto it = ref.model.begin();
        for (const auto &r : recs) {
            ASSERT_EQ(r.key, it->first);
            ASSERT_EQ(r.value, it->second) << "key " << r.key;
            ASSERT_EQ(r.line, ref.first_line[r.key]);
            ++it;
        }
    }
    // Each kind of file really occurred.
    EXPECT_GE(clean, 10);
    EXPECT_GE(bad, 10);
    EXPECT_GE(dup, 10);
}

}  // namespace
