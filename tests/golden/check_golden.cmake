# Compares `kiln-dump --example NAME --stage kernels` with tests/golden/NAME.kir, so that a
# change that should not alter generated kernels shows zero diff. Run with -DUPDATE=1 (or
# KILN_UPDATE_GOLDEN=1 in the environment) to rewrite the golden file.
execute_process(COMMAND ${KILN_DUMP} --example ${NAME} --stage kernels
  OUTPUT_VARIABLE actual RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kiln-dump failed (${rc}): ${err}")
endif()
set(golden ${GOLDEN_DIR}/${NAME}.kir)
if(UPDATE OR "$ENV{KILN_UPDATE_GOLDEN}")
  file(WRITE ${golden} "${actual}")
  message(STATUS "updated ${golden}")
  return()
endif()
file(READ ${golden} expected)
if(NOT actual STREQUAL expected)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.actual.kir "${actual}")
  message(FATAL_ERROR "kernel IR of example '${NAME}' differs from ${golden}; actual written to "
                      "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.actual.kir (KILN_UPDATE_GOLDEN=1 updates it)")
endif()
