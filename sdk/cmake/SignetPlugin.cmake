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
