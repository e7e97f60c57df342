// The shape of a .BTF section, checked before libbpf parses it.  libbpf 1.1
// (Debian 12) trusts the type graph: a variable naming a type id that does
// not exist made bpf_object__open_mem dereference a null type (found by
// tests/fuzz/fuzz_bpf_object), and a cycle of typedefs or modifiers would
// send its type resolution round for ever.  Refused here: a bad header, a
// record running out of the type section, an unknown kind, a name outside
// the string section, a reference to a type id that does not exist, a
// function whose type is not a prototype, a section entry that is not a
// variable or function, a decl tag on a member that does not exist, and
// cycles among typedefs and modifiers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chase/chase.h"

namespace chase {

Status check_btf_shape(const uint8_t *btf, size_t len);

}  // namespace chase
