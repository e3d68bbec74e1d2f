# cmake -DIN=<file> -DOUT=<file.cc> -DSYMBOL=<name> -P embed_object.cmake
# Writes a C++ source that holds IN as a byte array, so the BPF object is
# part of the library (no file to install or find at run time).
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _len)
math(EXPR _size "${_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" _bytes "${_bytes}")
file(WRITE "${OUT}.tmp"
"// Generated from ${IN} by embed_object.cmake. Do not edit.
#include <cstddef>
#include <cstdint>
namespace stackd::nic::af_xdp_embed {
extern const uint8_t ${SYMBOL}[];
extern const size_t ${SYMBOL}_size;
alignas(8) const uint8_t ${SYMBOL}[] = {
${_bytes}
};
const size_t ${SYMBOL}_size = ${_size};
}  // namespace stackd::nic::af_xdp_embed
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
