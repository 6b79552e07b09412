# trn_add_component(NAME <lib> DIR <dir> [DEPS <targets>...] [TEST_DEPS <targets>...])
#
# One component = one directory: every *.cpp except *Test.cpp builds the static
# library <lib>; every *Test.cpp builds the gtest binary unittests/<lib>Tests,
# which lit's GoogleTest format runs (test/unit). Adding a file to a component
# needs no CMake edit.
function(trn_add_component)
  cmake_parse_arguments(ARG "" "NAME;DIR" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB _all CONFIGURE_DEPENDS ${ARG_DIR}/*.cpp)
  set(_srcs)
  set(_tests)
  foreach(f ${_all})
    if(f MATCHES "Test\\.cpp$")
      list(APPEND _tests ${f})
    else()
      list(APPEND _srcs ${f})
    endif()
  endforeach()
  if(NOT _srcs)
    # A component still being written: keep the build graph valid.
    add_library(${ARG_NAME} INTERFACE)
    target_include_directories(${ARG_NAME} INTERFACE ${TRN_SOURCE_DIR}/runtime/include
                               ${TRN_BINARY_DIR}/runtime/include)
    target_link_libraries(${ARG_NAME} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${ARG_NAME} STATIC ${_srcs})
  target_include_directories(${ARG_NAME} PUBLIC
    $<BUILD_INTERFACE:${TRN_SOURCE_DIR}/runtime/include>
    $<BUILD_INTERFACE:${TRN_BINARY_DIR}/runtime/include>)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  if(_tests)
    add_executable(${ARG_NAME}Tests ${_tests})
    target_link_libraries(${ARG_NAME}Tests PRIVATE ${ARG_NAME} ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gtest_main)
    set_target_properties(${ARG_NAME}Tests PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${TRN_UNITTEST_OUTPUT_DIRECTORY})
    set_property(GLOBAL APPEND PROPERTY TRN_UNITTEST_TARGETS ${ARG_NAME}Tests)
  endif()
endfunction()
