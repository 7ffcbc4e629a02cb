# dolmetsch_component(NAME DEPS dep...)
#
# Builds the folder it is called from as one component:
#   - every *.cc (recursively) not named *_test.cc / *_fuzz.cc / *_main.cc / *_bench.cc -> library dolmetsch_NAME
#   - every *_test.cc                                                       -> test binary NAME_tests (CTest)
#   - every *_fuzz.cc (with DOLMETSCH_FUZZ)                                 -> one libFuzzer binary each
# Globbing keeps CMake files out of the way when a component gains a file.
function(dolmetsch_component name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources "")
  set(test_sources "")
  set(fuzz_sources "")
  foreach(src IN LISTS all_sources)
    if(src MATCHES "_test\\.cc$")
      list(APPEND test_sources ${src})
    elseif(src MATCHES "_fuzz\\.cc$")
      list(APPEND fuzz_sources ${src})
    elseif(NOT src MATCHES "_(main|bench)\\.cc$")
      list(APPEND lib_sources ${src})
    endif()
  endforeach()

  if(lib_sources)
    add_library(dolmetsch_${name} STATIC ${lib_sources})
    target_include_directories(dolmetsch_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(dolmetsch_${name} PUBLIC ${ARG_DEPS})
  else()  # a component that has only headers so far
    add_library(dolmetsch_${name} INTERFACE)
    target_include_directories(dolmetsch_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(dolmetsch_${name} INTERFACE ${ARG_DEPS})
  endif()

  if(DOLMETSCH_TESTS AND test_sources)
    add_executable(${name}_tests ${test_sources})
    target_link_libraries(${name}_tests PRIVATE dolmetsch_${name} ${ARG_TEST_DEPS} GTest::gtest GTest::gmock
                                                GTest::gtest_main)
    target_compile_definitions(${name}_tests PRIVATE DOLMETSCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${name}_tests WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS ${name})
  endif()

  if(DOLMETSCH_FUZZ)
    foreach(src IN LISTS fuzz_sources)
      get_filename_component(fuzz_name ${src} NAME_WE)
      add_executable(${fuzz_name} ${src})
      target_compile_options(${fuzz_name} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_libraries(${fuzz_name} PRIVATE dolmetsch_${name})
    endforeach()
  endif()
endfunction()
