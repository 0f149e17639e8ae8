# kiln-dump --backend cuda smoke test: the softmax example renders one row kernel (warp
# shuffles, a block reduction) as CUDA source in text and JSON, with ptxas resource usage when
# NVRTC is installed; a bad --arch fails with a clear message.
foreach(format text json)
  execute_process(COMMAND ${KILN_DUMP} --example softmax --backend cuda --arch sm_90 --stage source
                          --format ${format}
    OUTPUT_VARIABLE out RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kiln-dump --backend cuda --format ${format} failed (${rc}): ${err}")
  endif()
  if(NOT out MATCHES "__global__" OR NOT out MATCHES "kiln_shfl_xor")
    message(FATAL_ERROR "kiln-dump --backend cuda --format ${format} shows no row kernel:\n${out}")
  endif()
  if(format STREQUAL "json")
    string(JSON ignored ERROR_VARIABLE json_err LENGTH "${out}")
    if(json_err)
      message(FATAL_ERROR "kiln-dump --backend cuda --format json is not JSON: ${json_err}")
    endif()
  endif()
  if(NOT out MATCHES "NVRTC not found" AND NOT out MATCHES "registers")
    message(FATAL_ERROR "kiln-dump --backend cuda shows no resource usage:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${KILN_DUMP} --example softmax --backend cuda --arch ninety --stage source
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "sm_90")
  message(FATAL_ERROR "a bad --arch should fail with a clear message, got: ${err}")
endif()
