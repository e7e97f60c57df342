// chasefs SRC MNT [-o opts]: mount the directory SRC at MNT.
//
// Order matters: paths are resolved and SRC is opened before the mount (so
// that mounting SRC over itself still reaches the directory underneath), the
// mount happens before daemonizing (so mount(8) and fstab see a failure as
// the helper's exit status), and threads start only after the fork.
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "answer_budget.h"
#include "flock_waiter.h"
#include "kernel_replies.h"
#include "log.h"
#include "ops.h"
#include "options.h"
#include "query_node.h"
#include "session_pool.h"

using namespace chasefs;

namespace {

void raise_fd_limit() {
    // Every node the kernel knows holds an fd, and the kernel keeps the
    // nodes of files just created until memory pressure: 16 processes
    // creating files ran into a hard limit of 20,000 (EMFILE) within
    // seconds.  Root may go up to fs.nr_open (a struct file each, ~256 B).
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (geteuid() == 0) {
        rlim_t most = 1 << 20;
        if (FILE *f = fopen("/proc/sys/fs/nr_open", "r")) {
            unsigned long n;
            if (fscanf(f, "%lu", &n) == 1) most = n;
            fclose(f);
        }
        if (lim.rlim_max < most) {
            struct rlimit raised = {most, most};
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
        }
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

bool open_source_root(const Config &config) {
    Inode &root = fs().root;
    root.fd = open(config.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (root.fd < 0 || fstat(root.fd, &st) < 0) {
        fprintf(stderr, "chasefs: cannot open source directory %s: %s\n", config.source.c_str(),
                strerror(errno));
        return false;
    }
    root.src_dev = st.st_dev;
    root.src_ino = st.st_ino;
    root.type = S_IFDIR;
    root.nlookup = 1;  // never forgotten
    return true;
}

// default_permissions: the kernel checks mode bits against the caller, as
// ext4 would.  fsname shows SRC in /proc/mounts; user options come later and
// win.
void add_default_mount_options(struct fuse_args *args, const Config &config) {
    char *opts = nullptr;
    fuse_opt_add_opt(&opts, "default_permissions");
    fuse_opt_add_opt(&opts, "subtype=chasefs");
    std::string fsname = "fsname=" + config.source;
    fuse_opt_add_opt_escaped(&opts, fsname.c_str());
    fuse_opt_insert_arg(args, 1, "-o");
    fuse_opt_insert_arg(args, 2, opts);
    free(opts);
}

int run_loop(struct fuse_session *se, const struct fuse_cmdline_opts &o) {
    if (o.singlethread) return fuse_session_loop(se);
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, o.clone_fd);
    if (o.max_idle_threads != UINT_MAX)  // UINT_MAX: not given on the command line
        fuse_loop_cfg_set_idle_threads(cfg, o.max_idle_threads);
    fuse_loop_cfg_set_max_threads(cfg, o.max_threads);
    int rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

}  // namespace

int main(int argc, char *argv[]) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    CommandLine cl;
    // Freed on every return, the early ones (a bad command line, --help, a
    // mount that fails) included, so that LeakSanitizer reports real leaks
    // only.
    struct ArgsOwner {
        struct fuse_args *args;
        CommandLine *cl;
        ~ArgsOwner() {
            free(cl->fuse.mountpoint);
            fuse_opt_free_args(args);
        }
    } args_owner{&args, &cl};
    std::string error;
    if (!parse_command_line(&args, &cl, &error)) {
        fprintf(stderr, "chasefs: %s\n", error.c_str());
        return 2;
    }
    if (cl.show_help) {
        print_usage(argv[0]);
        return 0;
    }
    if (cl.show_version) {
        printf("chasefs %s (libfuse %s)\n", CHASEFS_VERSION, fuse_pkgversion());
        return 0;
    }
    fs().config = cl.config;
    answer_budget_configure(fs().config.answer_memory, fs().config.user_answer_memory);
    umask(0);  // modes arrive already masked by the caller's umask
    // Query nodes are made by one worker thread and freed by another; with
    // per-thread arenas that fragments the heap and the daemon does not
    // shrink back after a burst of query names (measured: 27 MiB after a
    // burst with per-thread arenas, 11 MiB with one).
    mallopt(M_ARENA_MAX, 1);
    raise_fd_limit();
    if (!open_source_root(fs().config)) return 1;

    // fuse_parse_cmdline consumed the mountpoint; the session needs the rest.
    add_default_mount_options(&args, fs().config);
    struct fuse_session *se =
        fuse_session_new(&args, &chasefs_operations(), sizeof(fuse_lowlevel_ops), nullptr);
    if (!se) return 1;  // libfuse printed why (e.g. an unknown option)
    fs().session = se;
    if (fuse_set_signal_handlers(se) != 0) return 1;
    if (fuse_session_mount(se, cl.fuse.mountpoint) != 0) return 1;
    if (!kernel_replies_install(se)) return 1;

    if (!cl.fuse.foreground) fs().config.detached = true;
    fuse_daemonize(cl.fuse.foreground);
    if (fs().config.detached) log_to_syslog();
    log_msg(LOG_INFO, "mounted %s at %s", fs().config.source.c_str(),
            fs().config.mountpoint.c_str());

    query_reaper_start(se);
    int rc = run_loop(se, cl.fuse);
    query_reaper_stop();
    flock_waiter_stop();
    query_deferred_stop();
    session_pool_stop();

    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    log_msg(LOG_INFO, "unmounted %s", fs().config.mountpoint.c_str());
    // A loop ended by SIGTERM/SIGINT/SIGHUP (libfuse's handlers) is a clean stop.
    if (rc == -SIGTERM || rc == -SIGINT || rc == -SIGHUP || rc == SIGTERM || rc == SIGINT ||
        rc == SIGHUP)
        rc = 0;
    if (rc) log_msg(LOG_ERR, "session loop ended with %d", rc);
    return rc ? 1 : 0;
}
