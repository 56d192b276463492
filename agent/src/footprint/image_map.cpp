#include "image_map.hpp"

#include <algorithm>
#include <cctype>

namespace bp::footprint {

std::string file_name_of(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ImageMap::is_kernel_name(const std::string& file_name) {
    std::string n = file_name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return n == "ntoskrnl.exe" || n == "ntkrnlmp.exe" || n == "ntkrnlpa.exe" || n == "ntkrpamp.exe";
}

std::uint32_t ImageMap::add(Image image) {
    image.id = static_cast<std::uint32_t>(images_.size() + 1);
    if (image.name.empty()) image.name = file_name_of(image.path);
    if (kernel_id_ == 0 && is_kernel_name(image.name)) kernel_id_ = image.id;
    by_base_[image.base] = image.id;
    images_.push_back(std::move(image));
    return images_.back().id;
}

const Image* ImageMap::find(std::uint64_t address) const {
    auto it = by_base_.upper_bound(address);
    if (it == by_base_.begin()) return nullptr;
    --it;
    const Image& img = images_[it->second - 1];
    if (address - img.base < img.size) return &img;
    return nullptr;
}

}  // namespace bp::footprint
