# cmake -P script behind the package/install test (the FIXTURES_SETUP of the consumer tests).
#   -DBUILD_DIR=<top build dir> -DPREFIX=<fresh prefix> -DHEADERS_FILE=<file> [-DCONFIG=<config>]
# Installs the build tree into an emptied PREFIX and checks that the package files and every
# public header are there. HEADERS_FILE (written at configure time by tests/package/CMakeLists.txt)
# sets BITSIEVE_HEADERS as cmake/bitsieve_headers.cmake was when this build tree was configured.
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR PREFIX HEADERS_FILE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "package/install: ${var} not given")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
set(config_args)
if(DEFINED CONFIG AND NOT "${CONFIG}" STREQUAL "")
  set(config_args --config ${CONFIG})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} ${config_args}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "package/install: cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed (${rc})")
endif()

include(${HEADERS_FILE})
set(expected share/cmake/bitsieve/bitsieveConfig.cmake share/cmake/bitsieve/bitsieveConfigVersion.cmake
             share/cmake/bitsieve/bitsieveTargets.cmake)
foreach(header IN LISTS BITSIEVE_HEADERS)
  list(APPEND expected include/${header})
endforeach()
set(missing)
foreach(f IN LISTS expected)
  if(NOT EXISTS "${PREFIX}/${f}")
    list(APPEND missing ${f})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "package/install: not installed under ${PREFIX}: ${missing}")
endif()
list(LENGTH expected n)
message("package/install: ${n} files checked under ${PREFIX}")
