# berth_rpc_runtime: how a binary links gRPC and protobuf.
#
# Tests and tools take Debian's shared libraries. berthd (a target with the
# property BERTH_STATIC_RPC set) takes the static archives Debian ships beside
# them (libgrpc-dev, libprotobuf-dev, libabsl-dev, ...): the linker keeps only
# what berthd calls, packed together in one mapping, instead of ~50 shared
# objects whose start-up and page-cache read-around leave about 7 MB of them
# resident in an idle daemon. containerd and CRI-O are static binaries too;
# the cost is that a security update of those libraries needs a berthd
# rebuild. -DBERTH_STATIC_RPC=OFF links berthd against the shared ones.
option(BERTH_STATIC_RPC "Link berthd's gRPC, protobuf and abseil statically" ON)

function(berth_define_rpc_runtime)
  find_package(ZLIB REQUIRED)
  set(archives)
  foreach(lib grpc++ grpc upb re2 cares address_sorting gpr protobuf)
    find_library(BERTH_STATIC_${lib} NAMES lib${lib}.a)
    if(NOT BERTH_STATIC_${lib})
      message(FATAL_ERROR "BERTH_STATIC_RPC: lib${lib}.a not found (its Debian -dev package installs it)")
    endif()
    list(APPEND archives ${BERTH_STATIC_${lib}})
  endforeach()
  # gRPC's pkg-config names the abseil parts it needs; their archives follow.
  foreach(flag ${GRPCPP_STATIC_LDFLAGS})
    if(flag MATCHES "^-l(absl_.*)$")
      find_library(BERTH_STATIC_${CMAKE_MATCH_1} NAMES lib${CMAKE_MATCH_1}.a REQUIRED)
      list(APPEND archives ${BERTH_STATIC_${CMAKE_MATCH_1}})
    endif()
  endforeach()
  # One group: the archives refer to each other in both directions.
  set(static_link -Wl,--start-group ${archives} -Wl,--end-group
      OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB Threads::Threads ${CMAKE_DL_LIBS} rt atomic)
  set(shared_link protobuf::libprotobuf PkgConfig::GRPCPP)

  add_library(berth_rpc_runtime INTERFACE)
  # $<TARGET_PROPERTY:...> here is read from the binary being linked.
  set(is_static "$<BOOL:$<TARGET_PROPERTY:BERTH_STATIC_RPC>>")
  target_link_libraries(berth_rpc_runtime INTERFACE
    "$<${is_static}:${static_link}>"
    "$<$<NOT:${is_static}>:${shared_link}>")
  target_include_directories(berth_rpc_runtime SYSTEM INTERFACE ${GRPCPP_INCLUDE_DIRS}
                             ${Protobuf_INCLUDE_DIRS})
endfunction()
