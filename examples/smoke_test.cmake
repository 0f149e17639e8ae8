# The main job end to end on a small slice (cmake -P): examples/train_fashion_mnist trains the MLP
# and the CNN for one epoch on 512 images, reports a test accuracy, saves the model and reloads it
# with identical predictions. Without the dataset it prints "dataset missing: skipped" (a ctest
# skip). Accuracy is not checked here: the 3-epoch targets are measured by hand (README).
#   cmake -DTRAIN=<path to train_fashion_mnist> -DOUT_DIR=<dir> -P smoke_test.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT TRAIN OR NOT OUT_DIR)
  message(FATAL_ERROR "pass -DTRAIN=<path to train_fashion_mnist> -DOUT_DIR=<dir>")
endif()
set(root "$ENV{KILN_FASHION_MNIST}")
if(root STREQUAL "")
  set(root /usr/share/datasets/fashion-mnist)
endif()
if(NOT IS_DIRECTORY "${root}")
  message(STATUS "dataset missing: skipped (no Fashion-MNIST at ${root}; scripts/setup.sh installs it)")
  return()
endif()
foreach(model mlp cnn)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env KILN_DEVICE=cpu ${TRAIN} --model ${model} --epochs 1
            --limit 512 --out ${OUT_DIR}/smoke_${model}.safetensors
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 600)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "test accuracy: [0-9.]+%" OR NOT out MATCHES "\\(identical\\)")
    message(FATAL_ERROR "train_fashion_mnist --model ${model} exited with ${rc}:\n${out}\n${err}")
  endif()
  if(NOT out MATCHES "512 samples, batch 128, 1 epochs, Adam lr")
    message(FATAL_ERROR "unexpected header from --model ${model}:\n${out}")
  endif()
  message(STATUS "--model ${model}:\n${out}")
endforeach()
