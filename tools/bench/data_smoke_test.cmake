# kiln-bench smoke test of the data workloads (cmake -P): runs mlp_train, cnn_train and loader
# on a small slice of the data (--scale 0.01: 600 images) with --json and checks each line's
# samples_per_s, batches_per_s and kernels; then again with KILN_FASHION_MNIST pointing at a
# missing folder, where the synthetic stand-in must be noted.
#   cmake -DKILN_BENCH=<path to kiln-bench> -P data_smoke_test.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT KILN_BENCH)
  message(FATAL_ERROR "pass -DKILN_BENCH=<path to kiln-bench>")
endif()

# Runs the three workloads with `env` (a list of NAME=VALUE) and checks the lines; the JSON
# lines come back in `out_var`.
function(check_data_workloads env out_var)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${env} ${KILN_BENCH} --workload mlp_train,cnn_train,loader
            --reps 2 --min-time 0 --scale 0.01 --json
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 600)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kiln-bench (${env}) exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  string(STRIP "${out}" out)
  string(REPLACE "\n" ";" lines "${out}")
  set(names "")
  foreach(line IN LISTS lines)
    string(JSON name ERROR_VARIABLE jerr GET "${line}" name)
    if(jerr)
      message(FATAL_ERROR "not a kiln-bench JSON line: ${line} (${jerr})")
    endif()
    list(APPEND names ${name})
    foreach(key samples_per_s batches_per_s median_ms)
      string(JSON v ERROR_VARIABLE jerr GET "${line}" ${key})
      if(jerr OR NOT v GREATER 0)
        message(FATAL_ERROR "\"${key}\" missing or not positive in: ${line}")
      endif()
    endforeach()
    string(JSON kernels GET "${line}" kernels)
    if(NOT name STREQUAL "loader" AND NOT kernels GREATER_EQUAL 1)
      message(FATAL_ERROR "a training step launched no kernel: ${line}")
    endif()
  endforeach()
  if(NOT names STREQUAL "mlp_train;cnn_train;loader")
    message(FATAL_ERROR "expected workloads mlp_train;cnn_train;loader, got ${names}:\n${out}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# The real dataset where it is installed; otherwise this run already uses the stand-in.
check_data_workloads("KILN_DEBUG=0" real)

# A missing dataset folder: synthetic data of the same shapes, and a note saying so.
check_data_workloads("KILN_FASHION_MNIST=${CMAKE_CURRENT_BINARY_DIR}/no-such-dataset" synthetic)
string(REPLACE "\n" ";" lines "${synthetic}")
foreach(line IN LISTS lines)
  string(JSON note ERROR_VARIABLE jerr GET "${line}" note)
  if(jerr OR NOT note MATCHES "synthetic data: no Fashion-MNIST at .*no-such-dataset")
    message(FATAL_ERROR "the synthetic stand-in is not noted: ${line}")
  endif()
endforeach()
message(STATUS "kiln-bench data smoke test passed:\n${real}\n${synthetic}")
