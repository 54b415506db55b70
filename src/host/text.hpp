// Line and word splitting for the small text files the host layer reads (modules.*, hosts(5)).
#pragma once

#include <string_view>
#include <vector>

namespace lvscare::host {

// Whitespace-separated words.
std::vector<std::string_view> splitWords(std::string_view text);

// Lines without their newline; `number` counts from 1.
template <class F>
void forEachLine(std::string_view text, F&& onLine) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    onLine(text.substr(0, end), ++number);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
}

}  // namespace lvscare::host
