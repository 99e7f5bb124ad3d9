#pragma once
// Existence checks for the paths users give. std::filesystem::exists and is_directory
// throw std::filesystem::filesystem_error when a path cannot be examined (a name longer
// than the system allows, a directory without search permission), which escapes the one
// error type every reader reports; these throw priorbench::Error naming the path instead
// ("NAME: cannot access: File name too long").

#include <string>

namespace priorbench {

bool path_exists(const std::string& path);
bool is_directory_path(const std::string& path);

}  // namespace priorbench
