// The query-name grammar and the answer format, without a mount.
#include <gtest/gtest.h>

#include "answer_format.h"
#include "query_path.h"

using chasefs::parse_query;
using chasefs::Query;
using chasefs::QueryKind;

namespace {

Query ok(const std::string &text) {
    Query q;
    std::string why;
    EXPECT_TRUE(parse_query(text, &q, &why)) << text << ": " << why;
    return q;
}

std::string refused(const std::string &text) {
    Query q;
    std::string why;
    EXPECT_FALSE(parse_query(text, &q, &why)) << text;
    EXPECT_FALSE(why.empty()) << "no reason given for " << text;
    return why;
}

TEST(QueryPath, PointKey) {
    Query q = ok("42");
    EXPECT_EQ(q.kind, QueryKind::get);
    EXPECT_EQ(q.key, "42");
    EXPECT_EQ(ok("a:b").key, "a:b");    // ':' is plain in a point key
    EXPECT_EQ(ok("a.b").key, "a.b");    // so is a single '.'
    EXPECT_EQ(ok("x@y").key, "x@y");    // and '@' after the first
    EXPECT_EQ(ok("a%2Fb").key, "a/b");  // '/' cannot be in a name: escaped
    EXPECT_EQ(ok("%00z").key, std::string("\0z", 2));
    EXPECT_EQ(ok("100%25").key, "100%");
    EXPECT_EQ(ok("a%2E%2Eb").key, "a..b");      // a key with ".." in it
    EXPECT_EQ(ok("count%3A5").key, "count:5");  // a key that looks like a form
}

TEST(QueryPath, Ranges) {
    Query q = ok("10..20");
    EXPECT_EQ(q.kind, QueryKind::range);
    EXPECT_EQ(q.lo, "10");
    EXPECT_EQ(q.hi, "20");
    EXPECT_EQ(q.limit, 0u);
    q = ok("10..20:5");
    EXPECT_EQ(q.limit, 5u);
    q = ok("..");
    EXPECT_EQ(q.lo, "");
    EXPECT_EQ(q.hi, "");
    q = ok("..7");
    EXPECT_EQ(q.hi, "7");
    q = ok("a%3Ab..c");
    EXPECT_EQ(q.lo, "a:b");
}

TEST(QueryPath, Aggregates) {
    Query q = ok("count:1..9");
    EXPECT_EQ(q.kind, QueryKind::count);
    EXPECT_FALSE(q.agg.want_sum);
    EXPECT_EQ(q.agg.op, chase::FilterOp::none);
    q = ok("sum:..");
    EXPECT_EQ(q.kind, QueryKind::sum);
    EXPECT_TRUE(q.agg.want_sum);
    q = ok("count:0..100:gt:50");
    EXPECT_EQ(q.agg.op, chase::FilterOp::gt);
    EXPECT_EQ(q.agg.arg, 50u);
    q = ok("sum:5..:le:18446744073709551615");
    EXPECT_EQ(q.agg.op, chase::FilterOp::le);
    EXPECT_EQ(q.agg.arg, 18446744073709551615ull);
}

TEST(QueryPath, BadInputSaysWhy) {
    refused("");
    refused("%");
    refused("%4");
    refused("%zz");
    refused("1..2:0");
    refused("1..2:x");
    refused("1..2:99999999999999999999999");
    refused("count:");
    refused("count:5");
    refused("count:1..2:gt");
    refused("count:1..2:bogus:1");
    refused("sum:1..2:gt:-1");
    refused("a:b..c");
    EXPECT_NE(refused("sum:1..2:gt:18446744073709551616").find("2^64"), std::string::npos);
}

TEST(QueryPath, PercentEncodingRoundTrips) {
    std::string all;
    for (int c = 1; c < 256; c++) all.push_back(static_cast<char>(c));
    std::string enc = chasefs::percent_encode(all);
    EXPECT_EQ(enc.find('/'), std::string::npos);
    Query q = ok(enc);
    EXPECT_EQ(q.key, all);
}

TEST(AnswerFormat, OneLinePerRecordWithEscapes) {
    std::string out;
    chasefs::append_record_line(&out, {"k\t1", "v\nw\\x\x01"});
    EXPECT_EQ(out, "k\\t1\tv\\nw\\\\x\\x01\n");
    EXPECT_EQ(chasefs::format_number_line(0), "0\n");
}

}  // namespace
