# nas_add_plugin(<name> SOURCES <src>... [DATA_DIR <dir>] [LIBRARIES <lib>...])
#
# Builds one runtime plugin: a shared library named nas_<name> placed in lib/nas/plugins of
# the build tree (and of the install tree on `cmake --install`), linked against the core
# library. Works in the framework's own tree and out of tree after find_package(nas).
# DATA_DIR is installed to share/nas/data/<name> so the plugin can find the tables it ships.
function(nas_add_plugin name)
  cmake_parse_arguments(ARG "" "DATA_DIR" "SOURCES;LIBRARIES" ${ARGN})
  set(target nas_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nas::core ${ARG_LIBRARIES})
  if(NOT DEFINED NAS_PLUGIN_SUBDIR)
    set(NAS_PLUGIN_SUBDIR lib/nas/plugins)
  endif()
  if(NOT DEFINED NAS_DATA_SUBDIR)
    set(NAS_DATA_SUBDIR share/nas/data)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/${NAS_PLUGIN_SUBDIR}
    CXX_VISIBILITY_PRESET hidden
    BUILD_RPATH_USE_ORIGIN ON
    BUILD_RPATH "$<TARGET_FILE_DIR:nas::core>"
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(ARG_DATA_DIR)
    get_filename_component(data_abs ${ARG_DATA_DIR} ABSOLUTE)
    # The build tree reads the data where it sits in the source tree; installs copy it.
    target_compile_definitions(${target} PRIVATE NAS_PLUGIN_SOURCE_DATA_DIR="${data_abs}")
    install(DIRECTORY ${ARG_DATA_DIR}/ DESTINATION ${NAS_DATA_SUBDIR}/${name})
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${NAS_PLUGIN_SUBDIR})
endfunction()
