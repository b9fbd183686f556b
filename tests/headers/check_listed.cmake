# cmake -P script behind the headers/listed test: every .hpp under include/ must be listed in
# cmake/bitsieve_headers.cmake, or it is neither installed nor checked for self-containment.
#   -DSOURCE_DIR=<repo root>
cmake_minimum_required(VERSION 3.25)
include(${SOURCE_DIR}/cmake/bitsieve_headers.cmake)
file(GLOB_RECURSE on_disk RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/*.hpp)
set(unlisted)
foreach(header IN LISTS on_disk)
  if(NOT header IN_LIST BITSIEVE_HEADERS)
    list(APPEND unlisted ${header})
  endif()
endforeach()
if(unlisted)
  list(JOIN unlisted "\n  " text)
  message(FATAL_ERROR "headers under include/ missing from cmake/bitsieve_headers.cmake (not installed, "
                      "not checked):\n  ${text}")
endif()
list(LENGTH on_disk n)
message("headers/listed: all ${n} headers under include/ are listed")
