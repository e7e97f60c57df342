#include "build_error.h"

#include <cerrno>
#include <cstring>

namespace mkindex {

BuildError BuildError::from_errno(const std::string &what) {
    int e = errno ? errno : EIO;
    return make(e, what + ": " + std::strerror(e));
}

}  // namespace mkindex
