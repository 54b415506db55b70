// What an ensure/remove call did to the host, so the caller can log a repair once.
#pragma once

#include <string_view>

namespace lvscare::host {

enum class Change {
  Unchanged,  // already as wanted
  Created,
  Replaced,  // an object of ours (or LVScare's) was updated in place
  Removed,
};

constexpr std::string_view toString(Change change) {
  switch (change) {
    case Change::Unchanged: return "unchanged";
    case Change::Created: return "created";
    case Change::Replaced: return "replaced";
    case Change::Removed: return "removed";
  }
  return "unknown";
}

}  // namespace lvscare::host
