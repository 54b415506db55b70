# `cmake --install` puts lvscare and sealctl in <prefix>/bin; `cpack -G DEB` (or
# `cpack --preset static-release`) packs the same files as lvscare_<version>_<arch>.deb for /usr/bin,
# the path Sealos' manifest runs (command: /usr/bin/lvscare). The static build depends on nothing;
# a dynamic build's dependencies come from dpkg-shlibdeps.
include(GNUInstallDirs)
install(TARGETS lvscare sealctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(LVSCARE_PACKAGE_MAINTAINER "lvscare maintainers <lvscare@localhost>"
  CACHE STRING "The Maintainer field of the .deb")

set(CPACK_PACKAGE_NAME lvscare)
set(CPACK_PACKAGE_VENDOR lvscare)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "apiserver VIP load balancer for every node, a drop-in for Sealos' LVScare")
set(CPACK_PACKAGE_DESCRIPTION
  "lvscare keeps a virtual server (VIP:port) in the kernel pointing only at healthy apiservers, and\n\
sealctl writes the static pod manifest that runs it on every node.")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)  # a RelWithDebInfo build packs stripped binaries too
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LVSCARE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(LVSCARE_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
include(CPack)
