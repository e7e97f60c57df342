// chase-mkindex as a user runs it: exit status, messages, atomic output.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>
#include <limits>

#include "bptree_reader.h"
#include "run_tool.h"
#include "temp_dir.h"

using tools_test::run_tool;
using tools_test::slurp;
using tools_test::TempDir;

namespace {

const std::string kTool = CHASE_MKINDEX_BIN;

void write_text(const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::optional<std::string> lookup(const std::string &db, uint64_t key) {
    oracle::BptreeReader r;
    oracle::Error e = r.open(db);
    EXPECT_TRUE(e.ok()) << e.msg;
    std::optional<std::string> v;
    e = r.get(key, &v);
    EXPECT_TRUE(e.ok()) << e.msg;
    return v;
}

TEST(MkindexCli, GeneratedKeys) {
    TempDir dir;
    auto r = run_tool({kTool, "--levels", "2", "--stride", "3", dir / "g.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, dir / "g.db" + ": bptree, 961 keys, depth 2, 81920 bytes (0.1 MB)\n");
    EXPECT_EQ(r.err, "");  // no progress when stderr is not a terminal
    oracle::BptreeReader rd;
    ASSERT_TRUE(rd.open(dir / "g.db").ok());
    ASSERT_TRUE(rd.check().ok());
    EXPECT_EQ(lookup(dir / "g.db", 960 * 3), "2880");
    EXPECT_EQ(lookup(dir / "g.db", 4), std::nullopt);
    EXPECT_EQ(dir.entries().size(), 1u);  // no temporary file left behind
}

TEST(MkindexCli, CountMakesPartialTree) {
    TempDir dir;
    auto r = run_tool({kTool, "--count", "100", dir / "c.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    oracle::BptreeReader rd;
    ASSERT_TRUE(rd.open(dir / "c.db").ok());
    EXPECT_EQ(rd.super().nkeys, 100u);
    EXPECT_EQ(rd.super().depth, 2u);
    EXPECT_TRUE(rd.check().ok());
}

TEST(MkindexCli, ProgressOnRequest) {
    TempDir dir;
    // --progress prints at most one line per second off a terminal; a small
    // build finishes first, so all that is asserted is that it still works.
    auto r = run_tool({kTool, "--progress", "--levels", "3", dir / "p.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lookup(dir / "p.db", 29790), "29790");
}

TEST(MkindexCli, StrideOverflowIsRefused) {
    TempDir dir;
    auto r = run_tool({kTool, "--levels", "2", "--stride", "19215358410114117", dir / "o.db"},
                      dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err,
              "chase-mkindex: 961 keys with stride 19215358410114117 go past the largest "
              "u64 key\n");
    EXPECT_TRUE(dir.entries().empty());
}

TEST(MkindexCli, TsvUnsortedWithEdgeKeys) {
    TempDir dir;
    write_text(dir / "in.tsv",
               "18446744073709551615\tmax\n"
               "0\tzero\n"
               "18446744073709551614\tmax-1\r\n"  // CRLF line
               "42\thas\ttabs and spaces \n"
               "7\t\n"  // empty value
               "8\t" +
                   std::string(63, 'v'));  // no final newline
    auto r = run_tool({kTool, "--tsv", dir / "in.tsv", dir / "t.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, dir / "t.db" + ": bptree, 6 keys, depth 1, 4096 bytes (0.0 MB)\n");
    std::string db = dir / "t.db";
    EXPECT_EQ(lookup(db, std::numeric_limits<uint64_t>::max()), "max");
    EXPECT_EQ(lookup(db, 0), "zero");
    EXPECT_EQ(lookup(db, std::numeric_limits<uint64_t>::max() - 1), "max-1");
    EXPECT_EQ(lookup(db, 42), "has\ttabs and spaces ");
    EXPECT_EQ(lookup(db, 7), "");
    EXPECT_EQ(lookup(db, 8), std::string(63, 'v'));
    EXPECT_EQ(lookup(db, 1), std::nullopt);
}

TEST(MkindexCli, TsvFromStdin) {
    TempDir dir;
    write_text(dir / "in.tsv", "2\ttwo\n1\tone\n");
    auto r = run_tool({kTool, "--tsv", "-", dir / "t.db"}, dir.path(), 0, dir / "in.tsv");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lookup(dir / "t.db", 2), "two");
    write_text(dir / "bad.tsv", "2\ttwo\n2\tzwei\n");
    r = run_tool({kTool, "--tsv", "-", dir / "u.db"}, dir.path(), 0, dir / "bad.tsv");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "chase-mkindex: <stdin>:2: duplicate key 2 (first on line 1)\n");
}

TEST(MkindexCli, EmptyTsvMakesEmptyTree) {
    TempDir dir;
    write_text(dir / "in.tsv", "");
    auto r = run_tool({kTool, "--tsv", dir / "in.tsv", dir / "t.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    oracle::BptreeReader rd;
    ASSERT_TRUE(rd.open(dir / "t.db").ok());
    EXPECT_EQ(rd.super().nkeys, 0u);
}

struct BadTsv {
    const char *name;
    std::string text;
    std::string reason;  // after "IN:"
};

class MkindexBadTsv : public testing::TestWithParam<BadTsv> {};

// Each bad input: exit 1, one precise "IN:LINE: reason" line, and OUT is
// neither created nor, if it existed, changed.
TEST_P(MkindexBadTsv, RejectedWithLineNumber) {
    TempDir dir;
    const BadTsv &c = GetParam();
    write_text(dir / "in.tsv", c.text);
    auto r = run_tool({kTool, "--tsv", dir / "in.tsv", dir / "out.db"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "chase-mkindex: " + (dir / "in.tsv") + ":" + c.reason + "\n");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"in.tsv"});

    write_text(dir / "out.db", "precious");
    r = run_tool({kTool, "--tsv", dir / "in.tsv", dir / "out.db"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(slurp(dir / "out.db"), "precious");
    EXPECT_EQ(dir.entries().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MkindexBadTsv,
    testing::Values(
        BadTsv{"duplicate", "5\ta\n1\tb\n5\tc\n", "3: duplicate key 5 (first on line 1)"},
        BadTsv{"duplicate_earliest", "9\ta\n4\tb\n4\tc\n9\td\n",
               "3: duplicate key 4 (first on line 2)"},
        BadTsv{"non_numeric", "1\ta\n12a\tb\n", "2: key '12a' is not a decimal number"},
        BadTsv{"negative", "-1\ta\n", "1: key '-1' is not a decimal number"},
        BadTsv{"space_in_key", " 1\ta\n", "1: key ' 1' is not a decimal number"},
        BadTsv{"too_big", "1\ta\n2\tb\n18446744073709551616\tc\n",
               "3: key '18446744073709551616' is larger than 18446744073709551615"},
        BadTsv{"overlong_value", "1\t" + std::string(64, 'x') + "\n",
               "1: value is 64 bytes long; at most 63 are allowed"},
        BadTsv{"missing_tab", "1\ta\n2 b\n", "2: missing tab between key and value"},
        BadTsv{"nul_in_value", std::string("1\ta\n2\tb\0c\n", 10),
               "2: value contains a NUL byte at column 4"},
        BadTsv{"empty_key", "\tvalue\n", "1: empty key"},
        BadTsv{"empty_line", "1\ta\n\n2\tb\n", "2: empty line"},
        BadTsv{"binary_key", "\x01\x02\tv\n", "1: key '\\x01\\x02' is not a decimal number"},
        BadTsv{"long_line", "1\ta\n2\t" + std::string(5000, 'y') + "\n",
               "2: line longer than 4096 bytes"}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(MkindexCli, MissingInput) {
    TempDir dir;
    auto r = run_tool({kTool, "--tsv", dir / "nope.tsv", dir / "out.db"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "chase-mkindex: " + (dir / "nope.tsv") + ": No such file or directory\n");
    EXPECT_TRUE(dir.entries().empty());
}

TEST(MkindexCli, OutputIsADirectory) {
    TempDir dir;
    std::filesystem::create_directory(dir / "d");
    auto r = run_tool({kTool, "--levels", "1", dir / "d"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("to " + (dir / "d") + ": Is a directory"), std::string::npos) << r.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"d"});  // temporary file removed
    r = run_tool({kTool, "--levels", "1", dir / "d" + "/"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "chase-mkindex: '" + (dir / "d") + "/' names a directory, not a file\n");
}

TEST(MkindexCli, InputIsADirectory) {
    TempDir dir;
    auto r = run_tool({kTool, "--tsv", dir.path(), dir / "o.db"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "chase-mkindex: " + dir.path() + ": read: Is a directory\n");
    EXPECT_TRUE(dir.entries().empty());
}

TEST(MkindexCli, OutputDirectoryMissing) {
    TempDir dir;
    auto r = run_tool({kTool, "--levels", "1", dir / "no/such/out.db"}, dir.path());
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot create a temporary file for " + (dir / "no/such/out.db") +
                         ": No such file or directory"),
              std::string::npos)
        << r.err;
}

// A write that fails half way (file size limit: EFBIG) leaves no OUT and no
// temporary file, and an existing OUT untouched.
TEST(MkindexCli, FailedWriteLeavesNothing) {
    TempDir dir;
    write_text(dir / "out.db", "precious");
    auto r = run_tool({kTool, "--levels", "3", dir / "out.db"}, dir.path(), 1 << 20);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(dir / "out.db"), "precious");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.db"});
}

// Killed half way (SIGTERM once the temporary file has data): the handler
// removes the temporary file and OUT never appears.
TEST(MkindexCli, SignalRemovesTemporaryFile) {
    TempDir dir;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        std::string out = dir / "big.db";
        execl(kTool.c_str(), kTool.c_str(), "--levels", "5", out.c_str(), (char *)nullptr);
        _exit(127);
    }
    // Wait (bounded, no timing assumption) until the build has written data.
    bool started = false;
    for (int i = 0; i < 20000 && !started; i++) {
        for (const auto &name : dir.entries())
            if (name.rfind(".big.db.tmp-", 0) == 0) {
                std::error_code ec;
                if (std::filesystem::file_size(dir / name, ec) > (1 << 20) && !ec) started = true;
            }
        if (!started) usleep(1000);
    }
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(started) << "the build never wrote its temporary file";
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) << st;
    EXPECT_TRUE(dir.entries().empty()) << dir.entries()[0];
}

// A file that cannot fit is refused before anything is written (a 1 MiB
// tmpfs; needs root to mount it).
TEST(MkindexCli, RefusesWhatCannotFit) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
    TempDir dir;
    std::string small = dir / "small";
    std::filesystem::create_directory(small);
    ASSERT_EQ(mount("chase-test", small.c_str(), "tmpfs", 0, "size=1m"), 0) << strerror(errno);
    auto r = run_tool({kTool, "--levels", "3", small + "/t.db"}, dir.path());
    std::vector<std::string> left;
    for (auto &e : std::filesystem::directory_iterator(small)) left.push_back(e.path().string());
    umount(small.c_str());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("chase-mkindex: the output needs 2416640 bytes, but only ", 0), 0u)
        << r.err;
    EXPECT_TRUE(left.empty()) << left[0];
}

TEST(MkindexCli, ReplacesExistingOutputOnSuccess) {
    TempDir dir;
    write_text(dir / "out.db", "old");
    auto r = run_tool({kTool, "--levels", "1", dir / "out.db"}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lookup(dir / "out.db", 30), "30");
}

struct BadArgs {
    const char *name;
    std::vector<std::string> args;
    std::string first_line;
};

class MkindexUsage : public testing::TestWithParam<BadArgs> {};

TEST_P(MkindexUsage, ExitsTwoWithReason) {
    TempDir dir;
    std::vector<std::string> argv = {kTool};
    for (const auto &a : GetParam().args) argv.push_back(a);
    auto r = run_tool(argv, dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "chase-mkindex: " + GetParam().first_line);
    EXPECT_NE(r.err.find("usage: chase-mkindex"), std::string::npos);
    EXPECT_TRUE(dir.entries().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MkindexUsage,
    testing::Values(
        BadArgs{"no_input", {"out.db"}, "give exactly one of --levels, --count, --tsv"},
        BadArgs{"two_inputs",
                {"--levels", "2", "--tsv", "x", "out.db"},
                "give exactly one of --levels, --count, --tsv"},
        BadArgs{"levels_zero", {"--levels", "0", "o"}, "--levels must be 1..8"},
        BadArgs{"levels_nine", {"--levels", "9", "o"}, "--levels must be 1..8"},
        BadArgs{
            "levels_text", {"--levels", "3x", "o"}, "--levels wants a decimal number, not '3x'"},
        BadArgs{
            "stride_zero", {"--levels", "1", "--stride", "0", "o"}, "--stride must be at least 1"},
        BadArgs{"stride_tsv",
                {"--tsv", "a", "--stride", "2", "o"},
                "--stride applies to generated keys, not --tsv"},
        BadArgs{"format", {"--format", "xml", "--levels", "1", "o"}, "unknown format 'xml'"},
        BadArgs{"no_out", {"--levels", "1"}, "missing OUT"},
        BadArgs{"two_out", {"--levels", "1", "a", "b"}, "more than one OUT"},
        BadArgs{"unknown", {"--frobnicate", "o"}, "unknown option '--frobnicate'"},
        BadArgs{"no_value", {"--levels"}, "--levels needs a value"}),
    [](const auto &info) { return std::string(info.param.name); });

}  // namespace
