# Shared build helpers: one place that finds the Debian libraries and declares
# berth's libraries and tests, so every folder's CMakeLists stays a few lines.

macro(berth_find_dependencies)
  find_package(PkgConfig REQUIRED)
  find_package(Threads REQUIRED)
  find_package(Protobuf REQUIRED)
  pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
  find_package(yaml-cpp REQUIRED)
  find_package(spdlog REQUIRED)
  find_package(nlohmann_json REQUIRED)
  find_package(CURL REQUIRED)
  find_package(LibArchive REQUIRED)
  find_package(OpenSSL REQUIRED)
  pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
  find_package(Boost REQUIRED)
  find_package(GTest REQUIRED)
  find_package(prometheus-cpp REQUIRED)  # the metrics endpoint (pkg/metrics)
  find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
endmacro()

# berth_library(NAME SOURCES ... DEPS ...): a static library under pkg/ or daemon/,
# with the repository root on its include path so headers read "pkg/fs/atomic_file.h".
function(berth_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# berth_test(NAME SOURCES ... DEPS ... LABELS ... [WHOLE]): a GoogleTest binary
# whose cases are registered one by one with CTest under the given labels, or
# as one CTest test with WHOLE (for suites with an expensive shared set-up,
# such as starting registries, that should run once per binary).
function(berth_test name)
  cmake_parse_arguments(ARG "WHOLE" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(ARG_WHOLE)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
    return()
  endif()
  # gtest_discover_tests flattens PROPERTIES into one list, so a discovered
  # test carries exactly one label.
  list(LENGTH ARG_LABELS label_count)
  if(label_count GREATER 1)
    message(FATAL_ERROR "berth_test(${name}): one label per discovered test, got ${ARG_LABELS}")
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
