# Wraps generated api.pb.h so it compiles whatever was included before it.
# CRI's Signal enum reuses the names of <signal.h>'s SIG* macros; the header
# saves those macros, undefines them for its own body and restores them.
# Usage: cmake -DHEADER=<api.pb.h> -DPROTO=<api.proto> -P guard_signal_macros.cmake
file(READ ${PROTO} proto_text)
string(REGEX MATCH "enum Signal {[^}]*}" signal_enum "${proto_text}")
string(REGEX MATCHALL "SIG[A-Z0-9_]+" names "${signal_enum}")
list(REMOVE_DUPLICATES names)
set(prologue "// Guarded by api/guard_signal_macros.cmake.\n")
set(epilogue "")
foreach(n ${names})
  string(APPEND prologue "#pragma push_macro(\"${n}\")\n#undef ${n}\n")
  string(APPEND epilogue "#pragma pop_macro(\"${n}\")\n")
endforeach()
file(READ ${HEADER} body)
file(WRITE ${HEADER} "${prologue}${body}${epilogue}")
