# Debian packages (scripts/package runs `cpack -G DEB` in a build tree made
# for them): `signet`, the host with its plugins, dashboard, configuration
# and systemd unit; `signet-dev`, the SDK and the conformance kit for plugin
# authors. Their dependencies are what dpkg-shlibdeps finds the binaries
# link against: Debian's runtime libraries only.
#
# Components: `runtime` (everything installed without one), `system` (the
# files outside the prefix: /etc/signet, the unit; EXCLUDE_FROM_ALL so that
# `cmake --install` into a prefix never writes to /etc), `sdk`.
set(SIGNET_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)
install(FILES ${SIGNET_DEBIAN_DIR}/signet.yaml DESTINATION /etc/signet
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/signet.service DESTINATION /lib/systemd/system
        COMPONENT system EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME signet)
set(CPACK_PACKAGE_VENDOR "Signet")
set(CPACK_PACKAGE_CONTACT "Signet maintainers <signet@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "certificate lifecycle engine")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/package)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime system sdk)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/signet/signet")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_HOST_PACKAGE_NAME signet)
# adduser: the postinst makes the system user; ca-certificates: TLS to remote CAs and stores.
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "adduser, ca-certificates")
set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_EXTRA
    ${SIGNET_DEBIAN_DIR}/conffiles ${SIGNET_DEBIAN_DIR}/postinst ${SIGNET_DEBIAN_DIR}/prerm ${SIGNET_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_HOST_DESCRIPTION "Signet issues, renews and revokes certificates through pluggable CAs
(its own internal CA, AWS Private CA, Keyfactor/EJBCA), keeps keys in
software, PKCS#11 HSMs or Vault, and tells ServiceNow, webhooks and mail
what happened. This package has the host, its plugins, the dashboard and
a hardened systemd unit.")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME signet-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "signet (= ${PROJECT_VERSION}), libssl-dev, cmake")
set(CPACK_DEBIAN_SDK_DESCRIPTION "The plugin SDK: headers, CMake package (find_package(SignetSDK)) and the conformance kit
(signet-plugin-check) for writing Signet plugins: CAs, key providers,
secret stores and notifiers.")

include(CPack)
cpack_add_component_group(host)
cpack_add_component_group(sdk)
cpack_add_component(runtime GROUP host)
cpack_add_component(system GROUP host)
cpack_add_component(sdk GROUP sdk)
