#include "caller.h"

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

}  // namespace chasefs
