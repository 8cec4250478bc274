# pkg/streaming for Windows: the SPDY/3.1 and WebSocket streaming server on
# Boost.Asio and Winsock, with zlib from Debian's libz-mingw-w64-dev (the
# mingw sysroot) and Boost's headers from the host, and its tests under Wine.
# The server's TLS is Linux-only (OpenSSL; pkg/streaming/tls.h).

# Boost is header-only here (Asio, Beast): expose Debian's headers through a
# directory that holds nothing else, as nlohmann's, so the host's
# /usr/include (glibc) never reaches mingw.
set(boost_dir ${PROJECT_BINARY_DIR}/boost-include)
file(MAKE_DIRECTORY ${boost_dir})
file(CREATE_LINK /usr/include/boost ${boost_dir}/boost SYMBOLIC)
add_library(Boost::headers INTERFACE IMPORTED)
set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${boost_dir})
# The static zlib, so the tests need no zlib1.dll beside them under Wine.
set(ZLIB_USE_STATIC_LIBS ON)

add_subdirectory(${BERTH_ROOT}/pkg/streaming ${PROJECT_BINARY_DIR}/pkg/streaming)
# StreamRequest and ExecIo have members stdin, stdout and stderr, which
# mingw-w64's <stdio.h> defines as macros (crt_macro_names.h says how).
target_compile_options(berth_streaming PUBLIC -include ${CMAKE_CURRENT_SOURCE_DIR}/crt_macro_names.h)

# Its unit tests that are portable (no local sockets or OpenSSL; socket
# pairs are loopback TCP pairs there, socket_pair_windows.cc), and the
# Winsock ones: a real server on 127.0.0.1, a port-forward through
# it to a loopback listener, the hang-up signal, TLS refused.
set(streaming_unit ${BERTH_ROOT}/test/unit/streaming)
add_executable(berth_streaming_windows_test
  streaming_win_test.cc
  ${streaming_unit}/exec_status_test.cc
  ${streaming_unit}/pending_streams_test.cc
  ${streaming_unit}/port_forward_copy_test.cc
  ${streaming_unit}/protocol_test.cc
  ${streaming_unit}/spdy_frame_test.cc
  ${streaming_unit}/spdy_header_block_test.cc
  ${streaming_unit}/socket_pair_windows.cc
  ${streaming_unit}/spdy_session_peer_test.cc
  ${streaming_unit}/spdy_session_test.cc
  ${streaming_unit}/terminal_size_test.cc
  ${streaming_unit}/token_store_test.cc
  ${streaming_unit}/websocket_test.cc)
target_include_directories(berth_streaming_windows_test PRIVATE ${BERTH_ROOT})
target_compile_options(berth_streaming_windows_test PRIVATE -Wall -Wextra -Werror -Wno-restrict)
target_link_libraries(berth_streaming_windows_test PRIVATE berth_streaming gtest_win gtest_main_win)
