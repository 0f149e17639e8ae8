# Installation: public headers, the static libraries, and a package config so that an outside
# project can write
#   find_package(kiln CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE kiln::kiln)
# and `#include <kiln/kiln.h>`. Included at the end of the top-level CMakeLists.txt, so every
# library target already exists here. tests/consumer builds such a project against an install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KILN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/kiln" CACHE STRING
    "Where kilnConfig.cmake is installed, relative to the prefix")
mark_as_advanced(KILN_INSTALL_CMAKEDIR)

# Public headers compile as C++20; say so to consumers (the project-wide CMAKE_CXX_STANDARD
# does not travel with the exported targets).
target_compile_features(kiln INTERFACE cxx_std_20)

# kiln_frontend may not exist yet while the frontend is being written; everything that does
# exist is installed. kiln_warnings is linked as $<BUILD_INTERFACE:...> and is not exported.
set(_kiln_install_targets)
foreach(_t IN ITEMS kiln_runtime kiln_kernels kiln_compiler kiln_frontend kiln)
  if(TARGET ${_t})
    list(APPEND _kiln_install_targets ${_t})
  else()
    message(STATUS "kiln: target ${_t} does not exist yet; not installed")
  endif()
endforeach()

install(TARGETS ${_kiln_install_targets}
  EXPORT kilnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Each include/ folder holds a kiln/ folder; they merge into <prefix>/include/kiln/.
foreach(_dir IN ITEMS runtime compiler frontend)
  if(EXISTS "${PROJECT_SOURCE_DIR}/${_dir}/include/kiln")
    install(DIRECTORY "${PROJECT_SOURCE_DIR}/${_dir}/include/"
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
      FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp" PATTERN "*.inc" PATTERN "*.def")
  endif()
endforeach()

install(EXPORT kilnTargets
  NAMESPACE kiln::
  FILE kilnTargets.cmake
  DESTINATION ${KILN_INSTALL_CMAKEDIR})

# The static libraries carry their link dependencies into kilnTargets.cmake, so the config must
# find every imported target they name. fmt is always needed (public headers include it); the
# others are detected from what the installed targets actually link, so that the day
# kiln_compiler links LLVM (or anything links ZLIB / Threads) the config follows without edits.
set(_kiln_links "")
foreach(_t IN LISTS _kiln_install_targets)
  foreach(_prop IN ITEMS LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(_libs ${_t} ${_prop})
    if(_libs)
      string(APPEND _kiln_links ";${_libs}")
    endif()
  endforeach()
endforeach()

set(KILN_CONFIG_DEPENDENCIES "find_dependency(fmt)\n")
if(_kiln_links MATCHES "LLVM")
  # Same search as the top-level CMakeLists.txt: LLVM's version file wants an exact version.
  string(APPEND KILN_CONFIG_DEPENDENCIES
    "find_dependency(LLVM CONFIG PATHS \"${LLVM_DIR}\" NO_DEFAULT_PATH)\n")
endif()
if(_kiln_links MATCHES "ZLIB::")
  string(APPEND KILN_CONFIG_DEPENDENCIES "find_dependency(ZLIB)\n")
endif()
if(_kiln_links MATCHES "Threads::")
  string(APPEND KILN_CONFIG_DEPENDENCIES "find_dependency(Threads)\n")
endif()

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/kilnConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/kilnConfig.cmake"
  INSTALL_DESTINATION ${KILN_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/kilnConfig.cmake"
  "${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake"
  DESTINATION ${KILN_INSTALL_CMAKEDIR})
