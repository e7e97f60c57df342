# The Debian package: `cpack -G DEB` (or the `package` target) in a build
# directory makes chasefs_<version>_amd64.deb from the install() rules of
# fs/daemon and mount-tools, plus the mount examples below.  Included from the
# top-level CMakeLists.txt for ordinary builds only (never the sanitized or
# fuzz trees).  Decisions are in mount-tools/README.md.

# The mount examples, as documentation (not examples/mount/README.md, which
# is about the build tree).  `cmake --install` puts them under
# CMAKE_INSTALL_PREFIX (/usr/local by default), the package under /usr.
install(FILES ${PROJECT_SOURCE_DIR}/examples/mount/fstab
              ${PROJECT_SOURCE_DIR}/examples/mount/srv-index.mount
        DESTINATION share/doc/chasefs/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME chasefs)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR chasefs)
# dpkg requires a Maintainer; there is no public address yet.
set(CPACK_PACKAGE_CONTACT "chasefs maintainers <chasefs@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "FUSE filesystem with eBPF lookups in B+-tree, LMDB and cdb files")
set(CPACK_PACKAGE_DESCRIPTION
    "chasefs mounts over an ordinary directory: ordinary files pass through,\n\
data files (chasefs B+-trees, LMDB, cdb) can also be queried by reading\n\
special names (cat users.db@42), extended attributes or ioctls, each query\n\
run by an eBPF storage function in the kernel or natively.\n\
Includes the daemon, mount.chasefs, chasectl and chase-mkindex.")
# The files go under /usr (bin/, sbin/, share/); `cmake --install` keeps its
# own prefix.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # chasefs_0.1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies (libbpf1, liburing2, libfuse3-3, liblmdb0,
# libcdb1, zlib1g, libc6, libstdc++6, ...) are computed by dpkg-shlibdeps
# from the binaries themselves (CPack runs it, and `file` to find the ELF
# files: both in .ci/packages.txt); fuse3 is what no ELF header names:
# fusermount3 (unmounting as a user) and mount.fuse3, which `mount -t
# fuse.chasefs` and fstab lines of that type run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
# Binaries without their debug sections (chasefs 14 MB -> 1.4 MB);
# debugging happens on a build tree.
set(CPACK_STRIP_FILES ON)
# Only what install() names: the build tree's test programs, benchmarks and
# bpf/*.bpf.o objects have no install rules and so never enter the package.
# The binaries need none of them at run time either: the built-in storage
# functions' BPF objects are compiled into libchase (bpf/embed.cmake), and
# tests/package/package_test.sh runs the installed programs with the build
# and source trees hidden.  Every library is static or a system library, so
# nothing carries an RPATH.
include(CPack)
