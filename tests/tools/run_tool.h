// Runs a program (chase-mkindex) and captures its exit status and output.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tools_test {

struct RunResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
};

inline std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// fsize_limit > 0: RLIMIT_FSIZE for the child (writes past it fail with
// EFBIG; SIGXFSZ is ignored), to make a build fail half way.
// stdin_path: file to use as standard input ("" = /dev/null).
inline RunResult run_tool(const std::vector<std::string> &args, const std::string &scratch_dir,
                          long fsize_limit = 0, const std::string &stdin_path = "") {
    std::string out_path = scratch_dir + "/.stdout", err_path = scratch_dir + "/.stderr";
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int i = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (fsize_limit > 0) {
            signal(SIGXFSZ, SIG_IGN);
            rlimit rl{rlim_t(fsize_limit), rlim_t(fsize_limit)};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        std::vector<char *> argv;
        for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    RunResult r;
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    unlink(out_path.c_str());
    unlink(err_path.c_str());
    return r;
}

}  // namespace tools_test
