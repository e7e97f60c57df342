#include "caller.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace chasefs {
namespace {

bool in_group(fuse_req_t req, gid_t gid) {
    if (fuse_req_ctx(req)->gid == gid) return true;
    gid_t groups[64];
    int n = fuse_req_getgroups(req, 64, groups);
    for (int i = 0; i < n && i < 64; i++)
        if (groups[i] == gid) return true;
    return false;
}

}  // namespace

bool caller_may_read(fuse_req_t req, const struct stat &st) {
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    if (ctx->uid == 0) return true;  // CAP_DAC_OVERRIDE, as on ext4
    if (ctx->uid == st.st_uid) return st.st_mode & S_IRUSR;
    if (in_group(req, st.st_gid)) return st.st_mode & S_IRGRP;
    return st.st_mode & S_IROTH;
}

bool caller_owns(fuse_req_t req, const struct stat &st) {
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    return ctx->uid == 0 || ctx->uid == st.st_uid;
}

chase::Credentials caller_credentials(fuse_req_t req) {
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    chase::Credentials c;
    c.uid = ctx->uid;
    c.gid = ctx->gid;
    std::vector<gid_t> groups(64);
    int n = fuse_req_getgroups(req, int(groups.size()), groups.data());
    if (n > int(groups.size())) {
        groups.resize(size_t(n));
        n = fuse_req_getgroups(req, int(groups.size()), groups.data());
    }
    for (int i = 0; i < n && i < int(groups.size()); i++) c.groups.push_back(groups[size_t(i)]);
    return c;
}

chase::Credentials owner_credentials(const struct stat &st) {
    chase::Credentials c;
    c.uid = st.st_uid;
    c.gid = st.st_gid;
    std::vector<char> buf(16384);
    struct passwd pw, *found = nullptr;
    if (getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return c;
    c.gid = pw.pw_gid;
    std::vector<gid_t> groups(64);
    int n = int(groups.size());
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
        groups.resize(size_t(n));
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) n = 0;
    }
    for (int i = 0; i < n; i++) c.groups.push_back(groups[size_t(i)]);
    return c;
}

}  // namespace chasefs
