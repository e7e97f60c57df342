// The caller's full credentials: what an unprivileged user may do in a
// directory through its supplementary groups, they may do through the mount,
// and what they may not, they may not.  Every case runs the same script as
// the same user in a plain directory of the same ext4 (ref/) and through the
// mount (-o allow_other, daemon as root), and the two transcripts must be
// equal: each call's outcome, and the owner, group and mode of what it made.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "mount_fixture.h"

using namespace fuse_test;

namespace {

constexpr gid_t kTeam = 1234;   // the group that owns the shared directory
constexpr uid_t kUser = 65534;  // nobody: the user under test
constexpr uid_t kColleague = 65533;

struct Who {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
};

// Runs `script` in a child as `who` and returns what it wrote: the
// transcript, or why the child could not become `who` or did not finish.
std::string run_as(const Who &who, const std::function<std::string()> &script) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        std::string out;
        if (setgroups(who.groups.size(), who.groups.data()) != 0 || setgid(who.gid) != 0 ||
            setuid(who.uid) != 0)
            out = "cannot become the user";
        else
            out = script();
        ssize_t ignored = write(pipefd[1], out.data(), out.size());
        (void)ignored;
        _exit(0);
    }
    close(pipefd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status))
        out += "\n<child killed by signal " + std::to_string(WTERMSIG(status)) + ">";
    return out;
}

std::string result(int rc) {
    return rc < 0 ? std::string(strerrorname_np(errno)) : "ok";
}

// Owner, group and mode of what a call made: these depend on the
// credentials it was made with (fsgid, setgid inheritance, setgid stripping).
std::string made(const std::string &path) {
    struct stat st;
    if (lstat(path.c_str(), &st) < 0) return "absent";
    char buf[96];
    snprintf(buf, sizeof buf, "uid=%u gid=%u mode=%o", st.st_uid, st.st_gid, st.st_mode);
    return buf;
}

int64_t ctime_ns(const std::string &path) {
    struct stat st;
    if (lstat(path.c_str(), &st) < 0) return -1;
    return st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

// Every kind of change the backing filesystem checks against the caller, in
// base (a directory laid out by lay_out()).  One line per step.
std::string script(const std::string &base) {
    std::string t;
    auto step = [&](const std::string &what, int rc, const std::string &path = "") {
        t += what + ": " + result(rc);
        if (!path.empty()) t += " [" + made(path) + "]";
        t += "\n";
    };
    std::string s = base + "/shared", g = base + "/shared/setgid", ro = base + "/readonly";

    step("mkdir", mkdir((s + "/d").c_str(), 0755), s + "/d");
    int fd = open((s + "/f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0640);
    step("create", fd, s + "/f");
    if (fd >= 0) {
        step("write", int(write(fd, "data", 4)));
        close(fd);
    }
    step("mkfifo", mkfifo((s + "/p").c_str(), 0600), s + "/p");
    step("symlink", symlink("f", (s + "/l").c_str()), s + "/l");
    step("mknod chr", mknod((s + "/c").c_str(), S_IFCHR | 0600, makedev(1, 3)));
    step("link", link((s + "/f").c_str(), (s + "/h").c_str()), s + "/h");
    step("rename", rename((s + "/h").c_str(), (s + "/h2").c_str()), s + "/h2");
    step("rename to a read-only dir", rename((s + "/h2").c_str(), (ro + "/x").c_str()));
    step("unlink", unlink((s + "/h2").c_str()));
    step("unlink a colleague's file", unlink((s + "/theirs").c_str()));
    step("rmdir", rmdir((s + "/d").c_str()));
    step("create in read-only dir", open((ro + "/n").c_str(), O_CREAT | O_WRONLY, 0644));

    // Files of the team: open, truncate, times, xattrs through group bits.
    fd = open((s + "/team").c_str(), O_RDWR);
    step("open team file rw", fd);
    if (fd >= 0) close(fd);
    step("truncate team file", truncate((s + "/team").c_str(), 2), s + "/team");
    step("utimes now on team file", utimensat(AT_FDCWD, (s + "/team").c_str(), nullptr, 0));
    struct timespec times[2] = {{1, 0}, {1, 0}};
    step("utimes set on team file", utimensat(AT_FDCWD, (s + "/team").c_str(), times, 0));
    step("setxattr team file", setxattr((s + "/team").c_str(), "user.k", "v2", 2, 0));
    char v[16];
    ssize_t n = getxattr((s + "/team").c_str(), "user.k", v, sizeof v);
    step("getxattr team file", int(n));
    if (n > 0) t += "  value " + std::string(v, size_t(n)) + "\n";
    step("removexattr team file", removexattr((s + "/team").c_str(), "user.k"));
    step("chmod team file", chmod((s + "/team").c_str(), 0600));

    // The group bits of one's own file: a supplementary group may be given
    // to it, and its set-group-ID bit kept only by a member of that group
    // (ext4 drops it silently for anyone else).
    step("chown own file to the team", chown((s + "/f").c_str(), uid_t(-1), kTeam), s + "/f");
    step("chmod g+s own file", chmod((s + "/f").c_str(), 02660), s + "/f");
    step("chown own file to root's group", chown((s + "/f").c_str(), uid_t(-1), 0));
    int64_t before = ctime_ns(s + "/f");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    step("chown own file to itself", chown((s + "/f").c_str(), uid_t(-1), gid_t(-1)));
    t += std::string("  ctime advanced: ") + (ctime_ns(s + "/f") > before ? "yes" : "no") + "\n";

    // A set-group-ID directory of the team: what is made in it is the team's.
    step("mkdir in setgid dir", mkdir((g + "/d").c_str(), 0755), g + "/d");
    fd = open((g + "/f").c_str(), O_CREAT | O_WRONLY, 02644);
    step("create g+s file in setgid dir", fd, g + "/f");
    if (fd >= 0) close(fd);
    return t;
}

class CallerCredentialsTest : public MountedTest {
   protected:
    void SetUp() override {
        MountedTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_EQ(chmod(scratch_->root().c_str(), 0755), 0);
        lay_out(src());
        lay_out(ref());
    }

    // root:team 0770 shared/, with a team file, a colleague's file and a
    // set-group-ID subdirectory; root:team 0750 readonly/.
    static void lay_out(const std::string &base) {
        auto dir = [](const std::string &p, mode_t mode) {
            ASSERT_EQ(mkdir(p.c_str(), 0700), 0) << p;
            ASSERT_EQ(chown(p.c_str(), 0, kTeam), 0);
            ASSERT_EQ(chmod(p.c_str(), mode), 0);
        };
        auto file = [](const std::string &p, uid_t uid, mode_t mode) {
            write_file(p, "contents");
            ASSERT_EQ(chown(p.c_str(), uid, kTeam), 0);
            ASSERT_EQ(chmod(p.c_str(), mode), 0);
        };
        dir(base + "/shared", 0770);
        dir(base + "/shared/setgid", 02770);
        dir(base + "/readonly", 0750);
        file(base + "/shared/team", 0, 0660);
        file(base + "/shared/theirs", kColleague, 0644);
        ASSERT_EQ(setxattr((base + "/shared/team").c_str(), "user.k", "v1", 2, 0), 0);
    }

    // The script as `who` on ref/ and on the mount; both transcripts.
    std::pair<std::string, std::string> both(const Who &who) {
        std::string direct = run_as(who, [&] { return script(ref()); });
        std::string mounted = run_as(who, [&] { return script(mnt()); });
        return {direct, mounted};
    }
};

TEST_F(CallerCredentialsTest, AMemberThroughASupplementaryGroupMayWhatExt4Allows) {
    auto [direct, mounted] = both({kUser, kUser, {kTeam}});
    EXPECT_EQ(mounted, direct) << "on ext4:\n" << direct << "\nthrough the mount:\n" << mounted;
    // Not two identical refusals: ext4 let the member in.
    EXPECT_NE(direct.find("mkdir: ok [uid=65534 gid=65534 mode=40755]"), std::string::npos)
        << direct;
    EXPECT_NE(direct.find("create: ok"), std::string::npos) << direct;
    EXPECT_NE(direct.find("chmod g+s own file: ok [uid=65534 gid=1234 mode=102660]"),
              std::string::npos)
        << direct;
    EXPECT_NE(direct.find("mkdir in setgid dir: ok [uid=65534 gid=1234 mode=42755]"),
              std::string::npos)
        << direct;
    EXPECT_NE(direct.find("ctime advanced: yes"), std::string::npos) << direct;
}

TEST_F(CallerCredentialsTest, AnOutsiderIsRefusedAsOnExt4) {
    auto [direct, mounted] = both({kUser, kUser, {}});
    EXPECT_EQ(mounted, direct) << "on ext4:\n" << direct << "\nthrough the mount:\n" << mounted;
    EXPECT_NE(direct.find("mkdir: EACCES"), std::string::npos) << direct;
}

TEST_F(CallerCredentialsTest, ATeamMemberByPrimaryGroupToo) {
    auto [direct, mounted] = both({kUser, kTeam, {}});
    EXPECT_EQ(mounted, direct) << "on ext4:\n" << direct << "\nthrough the mount:\n" << mounted;
    EXPECT_NE(direct.find("create: ok [uid=65534 gid=1234"), std::string::npos) << direct;
}

// The daemon's threads go back to its own credentials after each request: a
// root request right after a user's still has root's rights.
TEST_F(CallerCredentialsTest, RootRequestsAfterAUsersKeepRootsRights) {
    auto [direct, mounted] = both({kUser, kUser, {kTeam}});
    ASSERT_EQ(mounted, direct);
    for (int i = 0; i < 50; i++) {
        std::string p = mnt("readonly/root" + std::to_string(i));
        ASSERT_EQ(mkdir(p.c_str(), 0700), 0) << p << ": " << strerror(errno);
        struct stat st;
        ASSERT_EQ(stat(p.c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, 0u);
        EXPECT_EQ(st.st_gid, 0u);
    }
}

}  // namespace
