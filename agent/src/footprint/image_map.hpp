// Kernel-mode images by address: which driver holds a return address.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bootprint/footprint/model.hpp"

namespace bp::footprint {

class ImageMap {
public:
    // Registers an image; returns its id. An image at the same base as a previous one replaces it in
    // the address lookup (the old one stays in the list).
    std::uint32_t add(Image image);
    // The image whose [base, base + size) holds `address`, or nullptr.
    const Image* find(std::uint64_t address) const;
    Image* by_id(std::uint32_t id) { return id == 0 || id > images_.size() ? nullptr : &images_[id - 1]; }
    const std::vector<Image>& images() const { return images_; }
    // Id of the kernel image (ntoskrnl and its variants), 0 when none is loaded.
    std::uint32_t kernel_id() const { return kernel_id_; }
    bool is_kernel(const Image* image) const { return image && image->id == kernel_id_; }

    static bool is_kernel_name(const std::string& file_name);

private:
    std::vector<Image> images_;
    std::map<std::uint64_t, std::uint32_t> by_base_;  // base → id
    std::uint32_t kernel_id_ = 0;
};

// "\SystemRoot\system32\drivers\ACPI.sys" → "ACPI.sys".
std::string file_name_of(const std::string& path);

}  // namespace bp::footprint
