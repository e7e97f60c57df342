// How chasefs is started and stopped: detached after the mount exists, the
// argument form mount(8) and mount.fuse3 use, the mount.chasefs helper, and
// precise errors for bad command lines.
#include <sys/stat.h>
#include <unistd.h>

#include "mount_fixture.h"

using namespace fuse_test;

namespace {

bool mounted(const std::string &mnt) {
    return sh("grep -q " + quote(" " + mnt + " fuse.chasefs ") + " /proc/mounts").status == 0;
}

std::string bin_dir() {
    std::string b = chasefs_bin();
    return b.substr(0, b.find_last_of('/'));
}

// Unmounts with umount(8); the detached daemon then exits by itself.
void unmount_detached(const std::string &mnt) {
    EXPECT_EQ(sh("umount " + quote(mnt)).status, 0);
    for (int i = 0; i < 500 && sh("pgrep -f " + quote("[c]hasefs .*" + mnt)).status == 0; i++)
        usleep(10000);
    EXPECT_NE(sh("pgrep -f " + quote("[c]hasefs .*" + mnt)).status, 0) << "daemon still running";
}

TEST(MountCli, DetachesOnlyAfterTheMountExists) {
    REQUIRE_FUSE();
    Scratch s;
    write_file(s.src() + "/f", "x");
    ShellResult r = sh(std::string(chasefs_bin()) + " " + quote(s.src()) + " " + quote(s.mnt()));
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(mounted(s.mnt()));  // at once: no waiting
    EXPECT_EQ(read_file(s.mnt() + "/f"), "x");
    unmount_detached(s.mnt());
}

TEST(MountCli, MountFuseArgumentForm) {
    REQUIRE_FUSE();
    Scratch s;
    write_file(s.src() + "/f", "y");
    std::string what = std::string(chasefs_bin()) + "#" + s.src();
    ShellResult r = sh("mount -t fuse " + quote(what) + " " + quote(s.mnt()) +
                       " -o rw,noatime,allow_other,nofail 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(mounted(s.mnt()));
    EXPECT_EQ(read_file(s.mnt() + "/f"), "y");
    unmount_detached(s.mnt());
}

TEST(MountCli, FromAnFstabLine) {
    REQUIRE_FUSE();
    Scratch s;
    write_file(s.src() + "/f", "t");
    // mount -T reads this file instead of /etc/fstab; the type "fuse" with
    // BIN#SRC is what fuse.chasefs becomes once chasefs is installed.
    std::string fstab = s.root() + "/fstab";
    write_file(fstab, std::string(chasefs_bin()) + "#" + s.src() + " " + s.mnt() +
                          " fuse allow_other,noatime,nofail,x-systemd.automount 0 0\n");
    ShellResult r = sh("mount -T " + quote(fstab) + " " + quote(s.mnt()) + " 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(mounted(s.mnt()));
    EXPECT_EQ(read_file(s.mnt() + "/f"), "t");
    unmount_detached(s.mnt());
}

TEST(MountCli, MountHelperForFstabTypeChasefs) {
    REQUIRE_FUSE();
    Scratch s;
    write_file(s.src() + "/f", "z");
    // What mount(8) runs for type "chasefs": /sbin/mount.chasefs SRC MNT -o opts
    ShellResult r = sh(bin_dir() + "/mount.chasefs " + quote(s.src()) + " " + quote(s.mnt()) +
                       " -o defaults,allow_other,nofail,_netdev 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(mounted(s.mnt()));
    EXPECT_EQ(read_file(s.mnt() + "/f"), "z");
    unmount_detached(s.mnt());
}

TEST(MountCli, BadCommandLinesSayWhy) {
    REQUIRE_FUSE();
    Scratch s;
    std::string bin = chasefs_bin();
    ShellResult r = sh(bin + " /nonexistent/dir " + quote(s.mnt()) + " 2>&1");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("/nonexistent/dir"), std::string::npos) << r.out;
    r = sh(bin + " " + quote(s.src()) + " 2>&1");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("usage"), std::string::npos) << r.out;
    r = sh(bin + " -o engine=warp " + quote(s.src()) + " " + quote(s.mnt()) + " 2>&1");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("unknown engine 'warp'"), std::string::npos) << r.out;
    r = sh(bin + " -o no_such_option " + quote(s.src()) + " " + quote(s.mnt()) + " 2>&1");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("no_such_option"), std::string::npos) << r.out;
    r = sh(bin + " " + quote(s.src()) + " /nonexistent/mnt 2>&1");
    EXPECT_NE(r.status, 0);
    EXPECT_FALSE(mounted(s.mnt()));
    EXPECT_EQ(sh(bin + " --help").status, 0);
}

// What a newcomer meets first: every tool says its version, chasectl's help
// names the commands only a mount answers, and such a command on a file off
// any mount says exactly that instead of "unknown command".
TEST(MountCli, VersionsHelpAndMountOnlyCommands) {
    for (const std::string &bin :
         {std::string(chasefs_bin()), std::string(CHASECTL_BIN), std::string(mkindex_bin())}) {
        ShellResult r = sh(bin + " --version");
        EXPECT_EQ(r.status, 0) << bin;
        EXPECT_NE(r.out.find(" " CHASEFS_VERSION), std::string::npos) << bin << ": " << r.out;
    }
    ShellResult help = sh(std::string(CHASECTL_BIN) + " --help");
    EXPECT_EQ(help.status, 0);
    for (const char *cmd : {"get FILE", "range FILE", "agg FILE", "trace FILE", "info FILE",
                            "verify OBJ", "engines", "stats FILE", "attach FILE FN", "detach FILE"})
        EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd << " missing from:\n" << help.out;
    Scratch s;
    write_file(s.src() + "/plain.db", "not under a mount");
    for (const char *cmd : {"attach %s builtin", "detach %s"}) {
        char line[512];
        snprintf(line, sizeof line, cmd, quote(s.src() + "/plain.db").c_str());
        ShellResult r = sh(std::string(CHASECTL_BIN) + " " + line + " 2>&1");
        EXPECT_EQ(r.status, 2) << line;
        EXPECT_NE(r.out.find("works only on files under a chasefs mount; " + s.src() +
                             "/plain.db is not under one"),
                  std::string::npos)
            << r.out;
    }
}

}  // namespace
