# signet_add_plugin(<name> <sources>...)
# Builds a loadable Signet plugin library `<name>.so`: a module with hidden
# visibility (only the entry alias is exported) linked to the SDK.
function(signet_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${name} PRIVATE SignetSDK::sdk)
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
endfunction()

# signet_add_plugin_conformance_test(<target> <config>
#     [NAME <test name>] [KEYS <name>=<library>[:<config>]...]
#     [ARGS <signet-plugin-check options>...]
#     [FIXTURES <ctest fixtures>...] [ENVIRONMENT <VAR=value>...])
# Registers a ctest test (label `conformance`) that runs signet-plugin-check
# against the plugin <target> with <config>, its instance config (YAML, what
# goes under `config:`; it need not exist before the test runs), and writes
# JUnit XML to <test name>.junit.xml in the build directory.
# docs/plugin-conformance.md lists the cases.
function(signet_add_plugin_conformance_test target config)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "NAME" "KEYS;ARGS;FIXTURES;ENVIRONMENT")
  if(NOT SIGNET_PLUGIN_CHECK)
    message(FATAL_ERROR "signet_add_plugin_conformance_test: signet-plugin-check was not found (SIGNET_PLUGIN_CHECK)")
  endif()
  set(name ${arg_NAME})
  if(NOT name)
    set(name ${target}-conformance)
  endif()
  set(command ${SIGNET_PLUGIN_CHECK} --junit ${CMAKE_CURRENT_BINARY_DIR}/${name}.junit.xml)
  foreach(keys IN LISTS arg_KEYS)
    list(APPEND command --keys ${keys})
  endforeach()
  list(APPEND command ${arg_ARGS} $<TARGET_FILE:${target}> ${config})
  add_test(NAME ${name} COMMAND ${command})
  set_tests_properties(${name} PROPERTIES LABELS conformance)
  if(arg_FIXTURES)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${arg_FIXTURES}")
  endif()
  if(arg_ENVIRONMENT)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${arg_ENVIRONMENT}")
  endif()
endfunction()
