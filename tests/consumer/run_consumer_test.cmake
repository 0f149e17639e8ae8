# Installs a kiln build tree into a scratch prefix, builds tests/consumer against it with the
# same compiler and generator, and runs it. Run as a ctest test (see tests/CMakeLists.txt):
#   cmake -DKILN_BUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE_DIR=... -DCXX_COMPILER=...
#         -DGENERATOR=... [-DCONFIG=...] [-DFMT_DIR=...] [-DLLVM_DIR=...] -P run_consumer_test.cmake
cmake_minimum_required(VERSION 3.20)

foreach(_var IN ITEMS KILN_BUILD_DIR WORK_DIR CONSUMER_SOURCE_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer_test.cmake: -D${_var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG RelWithDebInfo)
endif()

set(_prefix "${WORK_DIR}/prefix")
set(_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${_prefix}" "${_build}")

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "consumer test: ${what} failed (${_rc}): ${ARGN}")
  endif()
endfunction()

run_step("install" "${CMAKE_COMMAND}" --install "${KILN_BUILD_DIR}" --prefix "${_prefix}"
  --config "${CONFIG}")

set(_configure "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${_build}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${_prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}" --no-warn-unused-cli)
# Dependencies found where the kiln build found them (they are not part of the install).
if(FMT_DIR)
  list(APPEND _configure "-Dfmt_DIR=${FMT_DIR}")
endif()
if(LLVM_DIR)
  list(APPEND _configure "-DLLVM_DIR=${LLVM_DIR}")
endif()
run_step("configure" ${_configure})
run_step("build" "${CMAKE_COMMAND}" --build "${_build}" --config "${CONFIG}")

set(_exe "${_build}/kiln_consumer")
if(NOT EXISTS "${_exe}")
  set(_exe "${_build}/${CONFIG}/kiln_consumer")  # multi-config generators
endif()
run_step("run" "${_exe}")
