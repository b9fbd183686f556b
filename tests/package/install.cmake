# cmake -P script behind the package/install test (the FIXTURES_SETUP of the consumer tests).
#   -DBUILD_DIR=<top build dir> -DPREFIX=<fresh prefix> -DSOURCE_DIR=<repo root> [-DCONFIG=<config>]
# Installs the build tree into an emptied PREFIX and checks that the package files and every
# public header of cmake/bitsieve_headers.cmake are there.
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR PREFIX SOURCE_DIR)
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

include(${SOURCE_DIR}/cmake/bitsieve_headers.cmake)
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
