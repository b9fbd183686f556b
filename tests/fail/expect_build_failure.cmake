# cmake -P script behind every compile-fail test (tests/fail/CMakeLists.txt).
#   -DBUILD_DIR=<top build dir> -DTARGET=<EXCLUDE_FROM_ALL target> [-DCONFIG=<config>]
#   -DEXPECT=<regex> [-DEXPECT_ALSO=<regex>]
# Builds TARGET and succeeds only if the build FAILS and its output matches EXPECT (the
# static_assert / constraint text) and EXPECT_ALSO. Any other outcome prints the marker
# BITSIEVE_COMPILE_FAIL_CHECK_FAILED (the test's FAIL_REGULAR_EXPRESSION) and exits non-zero. A
# build that succeeds prints no compiler output, so it cannot match the PASS_REGULAR_EXPRESSION.
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR TARGET EXPECT)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "BITSIEVE_COMPILE_FAIL_CHECK_FAILED: ${var} not given")
  endif()
endforeach()

set(config_args)
if(DEFINED CONFIG AND NOT "${CONFIG}" STREQUAL "")
  set(config_args --config ${CONFIG})
endif()
# LC_ALL=C: GCC's quotes and messages in plain ASCII whatever the caller's locale.
execute_process(COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C
                        ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET} ${config_args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

if(rc EQUAL 0)
  message(FATAL_ERROR "BITSIEVE_COMPILE_FAIL_CHECK_FAILED: ${TARGET} compiled, but it must be rejected")
endif()

message("${out}")
foreach(var EXPECT EXPECT_ALSO)
  if(DEFINED ${var} AND NOT "${${var}}" STREQUAL "" AND NOT out MATCHES "${${var}}")
    message(FATAL_ERROR "BITSIEVE_COMPILE_FAIL_CHECK_FAILED: ${TARGET} failed to build, but not with the "
                        "expected diagnostic (${var} above did not match)")
  endif()
endforeach()
message("compile-fail ok: ${TARGET} was rejected with the expected diagnostic")
