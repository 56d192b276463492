#include "bootprint/profiles/pool_tag.hpp"

#include <algorithm>

namespace bp::profiles {
namespace {

bool printable_ascii(char c) {
    return c >= 0x20 && c <= 0x7E;
}

Error refuse(std::string_view tag, std::size_t position, const std::string& why) {
    std::string message = "pool tag " + quote_pool_tag(tag);
    if (position > 0) message += " (#" + std::to_string(position) + ")";
    return make_error(Errc::invalid_argument, message + ": " + why);
}

Status check_tag_at(std::string_view tag, std::size_t position) {
    if (tag.empty()) {
        return refuse(tag, position, "is empty; a pool tag has 1 to 4 characters");
    }
    if (tag.size() > kMaxPoolTagLength) {
        return refuse(tag, position,
                      "has " + std::to_string(tag.size()) + " characters; a pool tag has 1 to 4");
    }
    for (std::size_t i = 0; i < tag.size(); ++i) {
        if (!printable_ascii(tag[i])) {
            return refuse(
                tag, position,
                "character " + std::to_string(i + 1) +
                    " is not printable ASCII; pool tags are compared byte by byte with the kernel's "
                    "ASCII tags");
        }
    }
    if (tag.front() == ' ') {
        return refuse(tag, position,
                      "starts with a space; kernel tags are padded at the end ('Irp '), so this is likely a "
                      "stray space after a comma");
    }
    const auto star = tag.find('*');
    if (star != std::string_view::npos && star + 1 != tag.size()) {
        return refuse(tag, position, "'*' matches the rest of the tag, so it can only be the last character");
    }
    if (tag == "*") {
        return refuse(tag, position,
                      "'*' alone matches every tag; leave the tag list empty to record all pool allocations");
    }
    return {};
}

}  // namespace

std::string quote_pool_tag(std::string_view tag) {
    std::string out = "'";
    for (char c : tag) {
        if (printable_ascii(c)) {
            out += c;
        } else {
            static constexpr char kHex[] = "0123456789ABCDEF";
            const auto u = static_cast<unsigned char>(c);
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        }
    }
    return out + "'";
}

Status check_pool_tag(std::string_view tag) {
    return check_tag_at(tag, 0);
}

Status check_pool_tags(const std::vector<std::string>& tags) {
    for (std::size_t i = 0; i < tags.size(); ++i) {
        BP_TRY_STATUS(check_tag_at(tags[i], i + 1));
        const auto first = std::find(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(i), tags[i]);
        if (first != tags.begin() + static_cast<std::ptrdiff_t>(i)) {
            return refuse(
                tags[i], i + 1,
                "repeats #" + std::to_string(first - tags.begin() + 1) + "; each tag may appear once");
        }
    }
    return {};
}

Result<std::vector<std::string>> parse_pool_tag_list(std::string_view comma_separated) {
    std::vector<std::string> tags;
    if (comma_separated.empty()) return tags;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = comma_separated.find(',', start);
        tags.emplace_back(comma_separated.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    BP_TRY_STATUS(check_pool_tags(tags));
    return tags;
}

std::vector<std::vector<std::string>> group_pool_tags(const std::vector<std::string>& tags) {
    std::vector<std::vector<std::string>> groups;
    for (std::size_t i = 0; i < tags.size(); i += kMaxPoolTagsPerProfile) {
        const auto begin = tags.begin() + static_cast<std::ptrdiff_t>(i);
        const auto end =
            tags.begin() + static_cast<std::ptrdiff_t>(std::min(tags.size(), i + kMaxPoolTagsPerProfile));
        groups.emplace_back(begin, end);
    }
    return groups;
}

}  // namespace bp::profiles
