// chase-mkindex: build an index file from generated keys or a TSV file.
//
//   chase-mkindex --levels 3 users.db            31^3 keys 0..29790
//   chase-mkindex --tsv users.tsv users.db       keys and values from a file
//
// Steps: parse the command line (mkindex_options), get the sorted records
// (generated or read_tsv), run the format's writer (mkindex_formats) into a
// temporary file, and rename it over OUT only if everything worked.
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "atomic_output.h"
#include "mkindex_formats.h"
#include "mkindex_options.h"
#include "mkindex_textkv.h"
#include "tsv_input.h"

using namespace mkindex;

namespace {

// Ends a progress line first, so the message starts a line of its own.
int fail(Progress &progress, const BuildError &e) {
    progress.finish();
    std::fprintf(stderr, "chase-mkindex: %s\n", e.msg.c_str());
    return 1;
}

uint64_t pow31(unsigned n) {
    uint64_t v = 1;
    while (n--) v *= 31;
    return v;
}

BuildError make_source(const MkindexOptions &o, Progress *progress,
                       std::unique_ptr<KvSource> *src) {
    if (o.generated) {
        uint64_t count = o.levels ? pow31(o.levels) : o.count;
        auto g = std::make_unique<GeneratedKeys>(count, o.stride);
        if (!g->valid())
            return BuildError::make(ERANGE, std::to_string(count) + " keys with stride " +
                                                std::to_string(o.stride) +
                                                " go past the largest u64 key");
        *src = std::move(g);
        return {};
    }
    std::vector<Record> recs;
    if (BuildError e = read_tsv(o.tsv, &recs, progress); !e.ok()) return e;
    *src = std::make_unique<SortedRecords>(std::move(recs));
    return {};
}

}  // namespace

int main(int argc, char **argv) {
    MkindexOptions opts;
    if (BuildError e = parse_mkindex_args(argc, argv, &opts); !e.ok()) {
        std::fprintf(stderr, "chase-mkindex: %s\n%s", e.msg.c_str(), mkindex_usage().c_str());
        return 2;
    }
    if (opts.help) {
        std::fputs(mkindex_usage().c_str(), stdout);
        return 0;
    }
    if (opts.version) {
        std::printf("chase-mkindex %s\n", CHASEFS_VERSION);
        return 0;
    }
    Progress progress(Progress::wanted(opts.progress));
    // byte keys: lmdb, cdb, rocksdb, leveldb
    bool text_kv = !opts.generated && is_text_kv_format(opts.format);
    std::unique_ptr<KvSource> src;
    if (!text_kv)
        if (BuildError e = make_source(opts, &progress, &src); !e.ok()) return fail(progress, e);

    AtomicOutput out;
    if (BuildError e = out.create(opts.out); !e.ok()) return fail(progress, e);
    remove_on_fatal_signal(out);
    WriteSummary summary;
    const FormatWriter *writer = find_format(opts.format);
    OutputTarget target{out.fd(), out.temp_path()};
    if (BuildError e =
            text_kv ? build_text_kv(opts.format, opts.tsv, opts.table, target, &progress, &summary)
                    : writer->write(*src, opts.table, target, &progress, &summary);
        !e.ok())
        return fail(progress, e);
    struct stat st {};
    fstat(out.fd(), &st);
    if (BuildError e = out.commit(); !e.ok()) return fail(progress, e);
    std::printf("%s: %s, %llu keys, %s, %llu bytes (%.1f MB)\n", opts.out.c_str(), writer->name,
                (unsigned long long)summary.nkeys, summary.shape.c_str(),
                (unsigned long long)st.st_size, double(st.st_size) / 1e6);
    return 0;
}
