#include "caller.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
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

namespace {

// The daemon's own supplementary groups, to go back to after a request.
const std::vector<gid_t> &daemon_groups() {
    static const std::vector<gid_t> groups = [] {
        std::vector<gid_t> g(size_t(std::max(getgroups(0, nullptr), 0)));
        int n = getgroups(int(g.size()), g.data());
        g.resize(size_t(std::max(n, 0)));
        return g;
    }();
    return groups;
}

void set_thread_groups(const std::vector<gid_t> &groups) {
    if (syscall(SYS_setgroups, groups.size(), groups.data()) != 0)
        throw std::system_error(errno, std::generic_category(), "setgroups");
}

}  // namespace

CallerCredentials::CallerCredentials(fuse_req_t req) {
    if (geteuid() != 0) return;
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    if (ctx->uid == 0 && ctx->gid == 0) return;
    daemon_groups();  // read before the first switch
    chase::Credentials c = caller_credentials(req);
    set_thread_groups(std::vector<gid_t>(c.groups.begin(), c.groups.end()));
    syscall(SYS_setfsgid, ctx->gid);
    syscall(SYS_setfsuid, ctx->uid);
    switched_ = true;
    if (uint32_t(syscall(SYS_setfsgid, -1)) != ctx->gid ||
        uint32_t(syscall(SYS_setfsuid, -1)) != ctx->uid) {
        restore();
        throw std::system_error(EPERM, std::generic_category(),
                                "cannot take on the caller's uid " + std::to_string(ctx->uid));
    }
}

CallerCredentials::~CallerCredentials() {
    restore();
}

void CallerCredentials::restore() {
    if (!switched_) return;
    switched_ = false;
    int saved = errno;  // the answer of the call just made as the caller
    syscall(SYS_setfsuid, 0);
    syscall(SYS_setfsgid, 0);
    // Cannot fail for a list the process already had, short of ENOMEM;
    // then this thread keeps the caller's groups, never gains any.
    syscall(SYS_setgroups, daemon_groups().size(), daemon_groups().data());
    errno = saved;
}

}  // namespace chasefs
