// Names and parsers for the small value types of the public API.
#include <cstring>

#include "chase/chase.h"

namespace chase {

std::string Status::to_string() const {
    if (ok()) return "ok";
    const char *name = strerrorname_np(err);
    std::string s = name ? name : ("errno " + std::to_string(err));
    return msg.empty() ? s + ": " + strerror(err) : s + ": " + msg;
}

const char *engine_name(EngineKind kind) {
    switch (kind) {
        case EngineKind::automatic:
            return "auto";
        case EngineKind::kernel:
            return "kernel";
        case EngineKind::syscall:
            return "syscall";
        case EngineKind::native:
            return "native";
    }
    return "?";
}

std::optional<EngineKind> parse_engine(std::string_view name) {
    for (auto k :
         {EngineKind::automatic, EngineKind::kernel, EngineKind::syscall, EngineKind::native})
        if (name == engine_name(k)) return k;
    return std::nullopt;
}

std::optional<FilterOp> parse_filter_op(std::string_view op) {
    static const std::pair<std::string_view, FilterOp> ops[] = {
        {"lt", FilterOp::lt}, {"le", FilterOp::le}, {"eq", FilterOp::eq}, {"ne", FilterOp::ne},
        {"ge", FilterOp::ge}, {"gt", FilterOp::gt}, {"<", FilterOp::lt},  {"<=", FilterOp::le},
        {"==", FilterOp::eq}, {"=", FilterOp::eq},  {"!=", FilterOp::ne}, {">=", FilterOp::ge},
        {">", FilterOp::gt},
    };
    for (auto &[text, value] : ops)
        if (op == text) return value;
    return std::nullopt;
}

}  // namespace chase
