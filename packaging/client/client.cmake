# stackd_package_client(<target> [<interface targets>...]): install the
# client library for the libstackclient1 / libstackclient-dev packages, with
#   pkg-config:  stackclient.pc          (pkg-config --cflags --libs stackclient)
#   CMake:       find_package(StackdClient 0.1 CONFIG REQUIRED)
#                target_link_libraries(app PRIVATE StackdClient::client)
# <target> must be a SHARED library whose include directories use
# $<BUILD_INTERFACE:...>/$<INSTALL_INTERFACE:include> and whose headers are
# its PUBLIC_HEADER property (installed to include/stackd/). Anything else
# is reported and left out of the packages rather than breaking the build.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

function(stackd_package_client target)
  get_target_property(_type ${target} TYPE)
  if(NOT _type STREQUAL "SHARED_LIBRARY")
    message(WARNING "packaging: ${target} is ${_type}, not a shared library; not packaged")
    return()
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME client)
  # Interface libraries the target links publicly (the ABI headers) join
  # its export set.
  foreach(_dep ${ARGN})
    install(TARGETS ${_dep} EXPORT StackdClientTargets)
  endforeach()
  install(TARGETS ${target} EXPORT StackdClientTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libstackclient
      NAMELINK_COMPONENT libstackclient-dev
    PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stackd COMPONENT libstackclient-dev
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set(_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/StackdClient)
  install(EXPORT StackdClientTargets NAMESPACE StackdClient:: FILE StackdClientTargets.cmake
    DESTINATION ${_cmakedir} COMPONENT libstackclient-dev)
  configure_package_config_file(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/StackdClientConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/StackdClientConfig.cmake INSTALL_DESTINATION ${_cmakedir})
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/StackdClientConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/StackdClientConfig.cmake
                ${CMAKE_CURRENT_BINARY_DIR}/StackdClientConfigVersion.cmake
          DESTINATION ${_cmakedir} COMPONENT libstackclient-dev)

  get_target_property(_out ${target} OUTPUT_NAME)
  if(NOT _out)
    set(_out ${target})
  endif()
  set(STACKD_CLIENT_LIBNAME ${_out})
  # Relocatable: the prefix relative to the .pc file, so the same file is
  # right under /usr (the .deb) and any other install prefix.
  file(RELATIVE_PATH STACKD_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  configure_file(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/stackclient.pc.in
                 ${CMAKE_CURRENT_BINARY_DIR}/stackclient.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stackclient.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT libstackclient-dev)
endfunction()
