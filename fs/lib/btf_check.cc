#include "btf_check.h"

#include <linux/btf.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace chase {

namespace {

Status bad(const std::string &why) {
    return Status::error(ENOEXEC, "malformed BTF: " + why);
}

uint32_t u32_at(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Bytes that follow a type record of this kind, or -1 for a kind libbpf
// 1.1 does not know.
int64_t extra_bytes(uint32_t kind, uint32_t vlen) {
    switch (kind) {
        case BTF_KIND_INT:
        case BTF_KIND_VAR:
        case BTF_KIND_DECL_TAG:
            return 4;
        case BTF_KIND_ARRAY:
            return sizeof(btf_array);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
            return int64_t(vlen) * sizeof(btf_member);
        case BTF_KIND_ENUM:
            return int64_t(vlen) * sizeof(btf_enum);
        case BTF_KIND_ENUM64:
            return int64_t(vlen) * sizeof(btf_enum64);
        case BTF_KIND_FUNC_PROTO:
            return int64_t(vlen) * sizeof(btf_param);
        case BTF_KIND_DATASEC:
            return int64_t(vlen) * sizeof(btf_var_secinfo);
        case BTF_KIND_PTR:
        case BTF_KIND_FWD:
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_FUNC:
        case BTF_KIND_FLOAT:
        case BTF_KIND_TYPE_TAG:
            return 0;
        default:
            return -1;
    }
}

// Kinds libbpf follows when it skips to the type underneath.
bool is_chain(uint32_t kind) {
    return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE || kind == BTF_KIND_CONST ||
           kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

struct Type {
    const uint8_t *rec;  // the btf_type, then its kind's extra bytes
    uint32_t kind, vlen, ref;
};

class Checker {
   public:
    Checker(const uint8_t *types, uint32_t types_len, uint32_t str_len)
        : types_(types), types_len_(types_len), str_len_(str_len) {}

    Status run() {
        Status st = index();
        for (size_t id = 1; st.ok() && id < t_.size(); id++) st = check_type(uint32_t(id));
        if (st.ok()) st = check_chains();
        return st;
    }

   private:
    // Splits the type section into records; ids start at 1 (0 is void).
    Status index() {
        t_.push_back({});
        uint64_t at = 0;
        while (at < types_len_) {
            if (types_len_ - at < sizeof(btf_type))
                return bad("a type record runs out of the type section");
            const uint8_t *rec = types_ + at;
            uint32_t info = u32_at(rec + offsetof(btf_type, info));
            Type t{rec, BTF_INFO_KIND(info), BTF_INFO_VLEN(info),
                   u32_at(rec + offsetof(btf_type, type))};
            int64_t extra = extra_bytes(t.kind, t.vlen);
            if (extra < 0)
                return bad("type " + std::to_string(t_.size()) + " has unknown kind " +
                           std::to_string(t.kind));
            at += sizeof(btf_type) + uint64_t(extra);
            if (at > types_len_)
                return bad("type " + std::to_string(t_.size()) + " runs out of the type section");
            t_.push_back(t);
        }
        return {};
    }

    bool name_ok(uint32_t off) const { return off < str_len_; }
    bool id_ok(uint32_t id) const { return id < t_.size(); }

    Status check_type(uint32_t id) {
        const Type &t = t_[id];
        std::string which = "type " + std::to_string(id);
        if (!name_ok(u32_at(t.rec))) return bad(which + " has a name outside the strings");
        const uint8_t *extra = t.rec + sizeof(btf_type);
        switch (t.kind) {
            case BTF_KIND_PTR:
            case BTF_KIND_TYPEDEF:
            case BTF_KIND_VOLATILE:
            case BTF_KIND_CONST:
            case BTF_KIND_RESTRICT:
            case BTF_KIND_TYPE_TAG:
            case BTF_KIND_VAR:
                if (!id_ok(t.ref)) return bad(which + " refers to a type that does not exist");
                break;
            case BTF_KIND_FUNC:
                if (!id_ok(t.ref) || t_[t.ref].kind != BTF_KIND_FUNC_PROTO)
                    return bad(which + " is a function without a prototype");
                break;
            case BTF_KIND_FUNC_PROTO:
                if (!id_ok(t.ref)) return bad(which + " returns a type that does not exist");
                for (uint32_t i = 0; i < t.vlen; i++) {
                    const uint8_t *p = extra + i * sizeof(btf_param);
                    if (!name_ok(u32_at(p + offsetof(btf_param, name_off))) ||
                        !id_ok(u32_at(p + offsetof(btf_param, type))))
                        return bad(which + " has a malformed parameter");
                }
                break;
            case BTF_KIND_ARRAY:
                if (!id_ok(u32_at(extra + offsetof(btf_array, type))) ||
                    !id_ok(u32_at(extra + offsetof(btf_array, index_type))))
                    return bad(which + " is an array of a type that does not exist");
                break;
            case BTF_KIND_STRUCT:
            case BTF_KIND_UNION:
                for (uint32_t i = 0; i < t.vlen; i++) {
                    const uint8_t *m = extra + i * sizeof(btf_member);
                    if (!name_ok(u32_at(m + offsetof(btf_member, name_off))) ||
                        !id_ok(u32_at(m + offsetof(btf_member, type))))
                        return bad(which + " has a malformed member");
                }
                break;
            case BTF_KIND_ENUM:
            case BTF_KIND_ENUM64: {
                size_t size = t.kind == BTF_KIND_ENUM ? sizeof(btf_enum) : sizeof(btf_enum64);
                for (uint32_t i = 0; i < t.vlen; i++)
                    if (!name_ok(u32_at(extra + i * size))) return bad(which + " has a bad name");
                break;
            }
            case BTF_KIND_DATASEC:
                for (uint32_t i = 0; i < t.vlen; i++) {
                    uint32_t v = u32_at(extra + i * sizeof(btf_var_secinfo) +
                                        offsetof(btf_var_secinfo, type));
                    if (!id_ok(v) || (t_[v].kind != BTF_KIND_VAR && t_[v].kind != BTF_KIND_FUNC))
                        return bad(which + " lists something that is not a variable");
                }
                break;
            case BTF_KIND_DECL_TAG: {
                if (!id_ok(t.ref) || t.ref == 0) return bad(which + " tags nothing");
                int32_t idx = int32_t(u32_at(extra));
                const Type &target = t_[t.ref];
                bool whole = idx == -1;
                bool member = (target.kind == BTF_KIND_STRUCT || target.kind == BTF_KIND_UNION) &&
                              idx >= 0 && uint32_t(idx) < target.vlen;
                bool param = target.kind == BTF_KIND_FUNC && id_ok(target.ref) && idx >= 0 &&
                             uint32_t(idx) < t_[target.ref].vlen;
                if (!whole && !member && !param) return bad(which + " tags a missing component");
                break;
            }
            default:
                break;
        }
        return {};
    }

    // Each typedef or modifier has one successor, so following them from
    // every type visits each at most twice: once on the walk that first
    // reaches it, once more to see it was already settled.
    Status check_chains() {
        std::vector<uint32_t> walk(t_.size(), 0);  // 0: not yet, else the walk that saw it
        std::vector<bool> settled(t_.size(), false);
        for (uint32_t start = 1; start < t_.size(); start++) {
            uint32_t id = start;
            while (id != 0 && is_chain(t_[id].kind) && !settled[id]) {
                if (walk[id] == start)
                    return bad("type " + std::to_string(id) + " is part of a cycle of typedefs");
                walk[id] = start;
                id = t_[id].ref;
            }
            for (id = start; id != 0 && walk[id] == start && !settled[id]; id = t_[id].ref)
                settled[id] = true;
        }
        return {};
    }

    const uint8_t *types_;
    uint32_t types_len_, str_len_;
    std::vector<Type> t_;
};

}  // namespace

Status check_btf_shape(const uint8_t *btf, size_t len) {
    btf_header h;
    if (len < sizeof h) return bad("the section is shorter than its header");
    memcpy(&h, btf, sizeof h);
    if (h.magic != BTF_MAGIC || h.version != BTF_VERSION) return bad("bad magic number or version");
    if (h.hdr_len < sizeof h || h.hdr_len > len) return bad("bad header length");
    uint64_t body = len - h.hdr_len;
    if (uint64_t(h.type_off) + h.type_len > body || uint64_t(h.str_off) + h.str_len > body ||
        h.type_off % 4 != 0)
        return bad("the type or string section lies outside the BTF section");
    if (uint64_t(h.type_off) + h.type_len > h.str_off)
        return bad("the type section overlaps the strings");
    const uint8_t *strs = btf + h.hdr_len + h.str_off;
    if (h.str_len == 0 || strs[0] != 0 || strs[h.str_len - 1] != 0)
        return bad("the string section does not start and end with a NUL");
    return Checker(btf + h.hdr_len + h.type_off, h.type_len, h.str_len).run();
}

}  // namespace chase
