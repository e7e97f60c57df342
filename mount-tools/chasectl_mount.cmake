# chasectl's commands on files under a chasefs mount (chasectl_mount.h).
# Included by mount-tools/CMakeLists.txt (chasectl links it) or, until then,
# by the tests that use it.
if(NOT TARGET chasectl_mount)
  add_library(chasectl_mount STATIC ${CMAKE_CURRENT_LIST_DIR}/chasectl_mount.cc)
  target_include_directories(chasectl_mount PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                             ${CMAKE_SOURCE_DIR}/fs/include
                             PRIVATE ${CMAKE_SOURCE_DIR}/fs/lib ${CHASE_BPF_INCLUDE})
endif()
