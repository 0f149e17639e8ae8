# KILN_DEBUG levels and KILN_DUMP_DIR (API.md "Inspecting"), end to end (cmake -P): runs the
# tour under each level and checks that each prints what the level adds and nothing a higher
# level adds: 1 compiled programs with the disk cache hits, 2 a line per launch, 3 fusion groups
# and breaks, 4 the generated LLVM IR, 5 the IR after every pass; and that KILN_DUMP_DIR
# receives the graphs.
#   cmake -DTOUR=<path to tour> -DOUT_DIR=<dir> -P debug_test.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT TOUR OR NOT OUT_DIR)
  message(FATAL_ERROR "pass -DTOUR=<path to tour> -DOUT_DIR=<dir>")
endif()
set(work ${OUT_DIR}/debug_test)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work}/dump)

# run(<level> <cache dir name> <var>): the tour's stderr under KILN_DEBUG=<level>.
function(run level cache var)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env KILN_DEVICE=cpu KILN_DEBUG=${level}
            KILN_CACHE_DIR=${work}/${cache} KILN_DUMP_DIR=${work}/dump ${TOUR}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 300)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tour under KILN_DEBUG=${level} exited with ${rc}:\n${err}")
  endif()
  set(${var} "${err}" PARENT_SCOPE)
endfunction()

function(expect level text)
  foreach(pattern IN LISTS ARGN)
    if(NOT text MATCHES "${pattern}")
      message(FATAL_ERROR "KILN_DEBUG=${level}: no match for \"${pattern}\" in:\n${text}")
    endif()
  endforeach()
endfunction()

function(expect_not level text)
  foreach(pattern IN LISTS ARGN)
    if(text MATCHES "${pattern}")
      message(FATAL_ERROR "KILN_DEBUG=${level}: unexpected \"${pattern}\" (a higher level's)")
    endif()
  endforeach()
endfunction()

set(programs "kiln: compiled program [0-9a-f]+: [0-9]+ kernels, [0-9]+ bytes peak")
set(launches "kiln: launch kiln_k[0-9a-f]+ [0-9.]+ ms [0-9.]+ GB/s")
set(groups "kiln: fused into [0-9]+ kernels; materialized:" "kiln: kernel kiln_k[0-9a-f]+: [0-9]+ ops")
set(source "kiln: llvm ir of kiln_k[0-9a-f]+:\n" "define void @kiln_k")
set(passes "kiln: graph:\n" "kiln: simplified:\n" "kiln: merge_kernels: [0-9]+ kernels -> [0-9]+"
           "kiln: kernel ir:\n" "kiln: memory plan: [0-9]+ temps in [0-9]+ allocations"
           "kiln: llvm ir of kiln_k[0-9a-f]+ before optimization:\n")

run(5 cache5 err)
expect(5 "${err}" ${programs} "kernels: [1-9][0-9]* compiled, 0 from the disk cache"
       ${launches} ${groups} ${source} ${passes})

run(1 cache5 err)  # the same cache: every kernel's object comes from disk
expect(1 "${err}" ${programs} "kernels: 0 compiled, [1-9][0-9]* from the disk cache")
expect_not(1 "${err}" ${launches} ${groups} ${source} ${passes})

run(2 cache5 err)
expect(2 "${err}" ${programs} ${launches})
expect_not(2 "${err}" ${groups} ${source} ${passes})

run(3 cache5 err)
expect(3 "${err}" ${programs} ${launches} ${groups})
expect_not(3 "${err}" ${source} ${passes})

run(4 cache5 err)  # the warm cache: LLVM IR is printed for cached objects too
expect(4 "${err}" ${programs} ${launches} ${groups} ${source})
expect_not(4 "${err}" ${passes})

file(GLOB graphs ${work}/dump/graph-*.txt)
list(LENGTH graphs n)
if(n LESS 5)
  message(FATAL_ERROR "KILN_DUMP_DIR: expected the tour's graphs, found ${n} files")
endif()
message(STATUS "KILN_DEBUG 1-5 and KILN_DUMP_DIR (${n} graphs) as documented")
