// libcdb as writer and oracle (see cdb_oracle.h).
#include "cdb_oracle.h"

#include <cdb.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace chase_test {

void cdb_write(const std::string &path, const CdbRecords &records) {
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) abort();
    struct cdb_make cdbm;
    cdb_make_start(&cdbm, fd);
    for (auto &[k, v] : records)
        if (cdb_make_add(&cdbm, k.data(), unsigned(k.size()), v.data(), unsigned(v.size())) != 0)
            abort();
    if (cdb_make_finish(&cdbm) != 0) abort();
    fsync(fd);
    close(fd);
    if (rename(tmp.c_str(), path.c_str()) != 0) abort();
}

std::vector<std::string> cdb_all_values(const std::string &path, const std::string &key) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) abort();
    struct cdb c;
    if (cdb_init(&c, fd) != 0) abort();
    struct cdb_find f;
    std::vector<std::string> out;
    cdb_findinit(&f, &c, key.data(), unsigned(key.size()));
    while (cdb_findnext(&f) > 0) {
        std::string v(cdb_datalen(&c), '\0');
        cdb_read(&c, v.data(), unsigned(v.size()), cdb_datapos(&c));
        out.push_back(std::move(v));
    }
    cdb_free(&c);
    close(fd);
    return out;
}

bool cdb_tool_query(const std::string &path, const std::string &key, unsigned recno,
                    std::string *value) {
    // The key goes through a file so that any byte survives the shell.
    std::string kf = path + ".key";
    FILE *k = fopen(kf.c_str(), "wb");
    fwrite(key.data(), 1, key.size(), k);
    fclose(k);
    std::string cmd = "cdb -q " + (recno ? "-n " + std::to_string(recno) + " " : "") + "'" + path +
                      "' \"$(cat '" + kf + "')\"";
    FILE *p = popen(cmd.c_str(), "r");
    value->clear();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) value->append(buf, n);
    int rc = pclose(p);
    unlink(kf.c_str());
    return rc == 0;
}

}  // namespace chase_test
